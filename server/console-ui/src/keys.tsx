import { Fragment } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { type AccessLogEntry, api, type Binding, type Deployment, type Key, projectPath } from "./api";
import {
  Columns,
  ConfirmDelete,
  Dialog,
  Field,
  FormButtons,
  Loading,
  type Problem,
  ProblemBanner,
  problemOf,
  pulumiOwner,
  When,
  when,
} from "./ui";

type KeyDialog = { kind: "create" } | { kind: "edit"; key: Key } | { kind: "delete"; key: Key } | null;

/** Project-scope keys and `deploymentAccess: all` reach every deployment, bound or not. */
const callsEvery = (k: Key) => k.deploymentAccess === "all" || k.scope === "project";

/** active / disabled / expired / revoked / exhausted / leaked: the server's status, with `enabled: false` shown as disabled. */
const statusOf = (k: Key) => (k.status === "active" && k.enabled === false ? "disabled" : k.status);

export function KeysPage(props: { projectId: string }) {
  const { projectId } = props;
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [dialog, setDialog] = useState<KeyDialog>(null);
  const [expanded, setExpanded] = useState<string | null>(null);

  const load = async () => {
    try {
      const [k, d] = await Promise.all([
        api.get<{ items: Key[] }>(projectPath(projectId, "/api-keys")),
        api.get<{ items: Deployment[] }>(projectPath(projectId, "/deployments")),
      ]);
      setKeys(k.items);
      setDeployments(d.items);
      setProblem(null);
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  useEffect(() => {
    setKeys(null);
    void load();
  }, [projectId]);
  const closeDialog = (changed: boolean) => {
    setDialog(null);
    if (changed) void load();
  };

  return (
    <section aria-labelledby="keys-title">
      <div class="page-head">
        <h2 id="keys-title">API keys</h2>
        <button type="button" class="primary" onClick={() => setDialog({ kind: "create" })}>
          Create API key
        </button>
      </div>
      <ProblemBanner problem={problem} />
      {keys
        ?.filter((k) => k.leakedAt)
        .map((k) => (
          <LeakBanner key={k.id} apiKey={k} onReview={() => setExpanded(k.id)} />
        ))}
      {keys === null ? (
        <Loading what="API keys" />
      ) : keys.length === 0 ? (
        <p class="muted">No API keys in this project yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <Columns
              names={[
                "Name",
                "Key",
                "Scope",
                "Deployments",
                "Created (UTC)",
                "Expires (UTC)",
                "Last used (UTC)",
                "Status",
                "Managed by",
                "Actions",
              ]}
            />
            <tbody>
              {keys.map((k) => {
                const owner = pulumiOwner(k.managedBy);
                const open = expanded === k.id;
                return (
                  <Fragment key={k.id}>
                    <tr>
                      <th scope="row">
                        {k.name}
                        {k.description && <div class="muted small">{k.description}</div>}
                      </th>
                      <td>
                        <code>{k.truncated}</code>
                      </td>
                      <td>{k.scope}</td>
                      <td>
                        <button
                          type="button"
                          class="link"
                          aria-expanded={open}
                          aria-controls={`details-${k.id}`}
                          onClick={() => setExpanded(open ? null : k.id)}
                        >
                          {callsEvery(k) ? "all" : k.deploymentCount} {open ? "▾" : "▸"}
                          <span class="visually-hidden"> linked deployments of {k.name}</span>
                        </button>
                      </td>
                      <td>
                        <When iso={k.createdAt} />
                      </td>
                      <td>
                        <When iso={k.expiresAt} />
                      </td>
                      <td>
                        <When iso={k.lastUsedAt} />
                      </td>
                      <td>
                        <span class={`status status-${statusOf(k)}`}>{statusOf(k)}</span>
                      </td>
                      <td>
                        {owner ? (
                          <span title={owner.urn}>
                            Pulumi: stack <strong>{owner.stack}</strong>, resource <strong>{owner.resource}</strong>
                          </span>
                        ) : (
                          <span class="muted">—</span>
                        )}
                      </td>
                      <td class="actions">
                        <button
                          type="button"
                          onClick={() => setDialog({ kind: "edit", key: k })}
                          aria-label={`Edit ${k.name}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          class="danger"
                          onClick={() => setDialog({ kind: "delete", key: k })}
                          aria-label={`Delete ${k.name}`}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                    {open && (
                      <tr id={`details-${k.id}`} class="details">
                        <td colSpan={10}>
                          <KeyDetails projectId={projectId} apiKey={k} deployments={deployments} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === "create" && (
        <CreateKeyDialog projectId={projectId} deployments={deployments} onClose={closeDialog} />
      )}
      {dialog?.kind === "edit" && (
        <EditKeyDialog projectId={projectId} apiKey={dialog.key} deployments={deployments} onClose={closeDialog} />
      )}
      {dialog?.kind === "delete" && <DeleteKeyDialog projectId={projectId} apiKey={dialog.key} onClose={closeDialog} />}
    </section>
  );
}

/** A link only to a web page: a report's url is the reporter's text, never a script. */
const webLink = (url: string) => (/^https?:\/\//i.test(url) ? url : undefined);

/** Where a leaked key was found, what the gateway does with it now, and its calls since the report one click away. */
function LeakBanner(props: { apiKey: Key; onReview: () => void }) {
  const k = props.apiKey;
  const href = k.leakUrl ? webLink(k.leakUrl) : undefined;
  return (
    <div role="alert" class="problem leak" data-key-id={k.id}>
      <p>
        <strong>
          Key {k.name} (<code>{k.truncated}</code>) was reported leaked
        </strong>{" "}
        {when(k.leakedAt)}
        {k.leakUrl && (
          <>
            , found at{" "}
            {href ? (
              <a href={href} rel="noreferrer noopener" target="_blank">
                {k.leakUrl}
              </a>
            ) : (
              <code>{k.leakUrl}</code>
            )}
          </>
        )}
        {k.leakSource && ` (${k.leakSource})`}. The gateway refuses it (401 leaked_key). Replace it:{" "}
        <code>pulumi up --refresh</code> for a key a stack manages, or create a new key and delete this one.
      </p>
      <button type="button" onClick={props.onReview}>
        Review {k.name}'s access log since the leak
      </button>
    </div>
  );
}

/** The key's gateway calls since it was reported leaked (the seed's "review access logs"), newest first. */
function LeakAccessLog(props: { projectId: string; apiKey: Key }) {
  const [entries, setEntries] = useState<AccessLogEntry[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    const since = encodeURIComponent(props.apiKey.leakedAt!);
    void api
      .get<{ items: AccessLogEntry[] }>(
        projectPath(props.projectId, `/api-keys/${props.apiKey.id}/access-log?since=${since}`),
      )
      .then(
        (r) => setEntries(r.items),
        (e) => setFailed(problemOf(e).message),
      );
  }, [props.apiKey.id]);
  return (
    <div class="leak-log">
      <h3>Access log since the leak</h3>
      {failed ? (
        <p role="alert">{failed}</p>
      ) : entries === null ? (
        <Loading what="the access log" />
      ) : entries.length === 0 ? (
        <p class="muted">No calls with this key since {when(props.apiKey.leakedAt)}.</p>
      ) : (
        <table aria-label={`Calls with ${props.apiKey.name} since the leak`}>
          <Columns names={["When (UTC)", "Deployment", "Outcome", "Client"]} />
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>
                  <When iso={e.at} />
                </td>
                <td>{e.deployment ?? "—"}</td>
                <td>
                  {e.outcome} ({e.status})
                </td>
                <td>
                  <code>{e.clientAddress}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const bindingsPath = (projectId: string, keyId: string) => projectPath(projectId, `/api-keys/${keyId}/deployments`);

/** The linked deployments by name, and usage where this server reports it. */
function KeyDetails(props: { projectId: string; apiKey: Key; deployments: Deployment[] }) {
  const [bindings, setBindings] = useState<Binding[] | null>(null);
  const [usage, setUsage] = useState<KeyUsage | null>(null);
  useEffect(() => {
    void api.get<{ items: Binding[] }>(bindingsPath(props.projectId, props.apiKey.id)).then(
      (b) => setBindings(b.items),
      () => setBindings([]),
    );
    // Usage comes with the limits feature; a server without it answers 404 and the panel stays away.
    void api
      .get<KeyUsage>(projectPath(props.projectId, `/api-keys/${props.apiKey.id}/usage`))
      .then(setUsage, () => setUsage(null));
  }, [props.apiKey.id]);
  const nameOf = (id: string) => props.deployments.find((d) => d.id === id)?.name ?? id;
  return (
    <div class="key-details">
      <div>
        <h3>Linked deployments</h3>
        {callsEvery(props.apiKey) && (
          <p>
            This key may call every deployment of the project
            {props.apiKey.scope === "project" ? " (project scope)" : ""}.
          </p>
        )}
        {bindings === null ? (
          <Loading what="deployments" />
        ) : bindings.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul>
            {bindings
              .map((b) => nameOf(b.deploymentId))
              .sort()
              .map((name) => (
                <li key={name}>{name}</li>
              ))}
          </ul>
        )}
      </div>
      {usage?.totals && (
        <div>
          <h3>Usage</h3>
          <dl>
            {USAGE_COUNTS.map(([field, label]) => (
              <Fragment key={field}>
                <dt>{label}</dt>
                <dd>{(usage.totals?.[field] ?? 0).toLocaleString("en")}</dd>
              </Fragment>
            ))}
            <dt>Last used</dt>
            <dd>{when(usage.lastUsedAt ?? props.apiKey.lastUsedAt)}</dd>
          </dl>
          {(usage.deployments ?? []).length > 0 && (
            <ul class="small">
              {usage.deployments!.map((d) => (
                <li key={d.deploymentId}>
                  {d.deployment ?? `${d.deploymentId} (deleted)`}: {count(d.requests, "request")},{" "}
                  {count(d.promptTokens + d.completionTokens, "token")}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {props.apiKey.leakedAt && <LeakAccessLog projectId={props.projectId} apiKey={props.apiKey} />}
      <p class="muted small">
        Updated {when(props.apiKey.updatedAt)}; created by {props.apiKey.createdBy}
        {props.apiKey.usesRemaining !== null && `; ${props.apiKey.usesRemaining} of ${props.apiKey.numUses} uses left`}
      </p>
    </div>
  );
}

// The usage API's shape (GET …/api-keys/{id}/usage), on servers that have it.
interface UsageCounts {
  requests: number;
  promptTokens: number;
  completionTokens: number;
}
interface KeyUsage {
  lastUsedAt?: string | null;
  totals?: UsageCounts;
  deployments?: (UsageCounts & { deploymentId: string; deployment: string | null })[];
}
const count = (n: number, unit: string) => `${n.toLocaleString("en")} ${unit}${n === 1 ? "" : "s"}`;
const USAGE_COUNTS: [keyof UsageCounts, string][] = [
  ["requests", "Requests"],
  ["promptTokens", "Prompt tokens"],
  ["completionTokens", "Completion tokens"],
];

type Validity = "never" | "ttl" | "date";

/** A key form's lifetime choice: never, a TTL or a date (and, when editing, unchanged). */
function useLifetime<V extends Validity | "keep">(initial: V, ttl: string, date: string) {
  const [validity, setValidity] = useState<V>(initial);
  const [ttlText, setTtl] = useState(ttl);
  const [dateText, setDate] = useState(date);
  return { validity, setValidity, ttl: ttlText, setTtl, date: dateText, setDate };
}
type Lifetime<V extends Validity | "keep"> = ReturnType<typeof useLifetime<V>>;

function lifetimeBody({
  validity,
  ttl,
  date,
}: Pick<Lifetime<Validity | "keep">, "validity" | "ttl" | "date">): Record<string, string> {
  if (validity === "ttl") return { ttl };
  if (validity === "date") return { expiresAt: date };
  return {};
}

function ValidityFields<V extends Validity | "keep">({
  lifetime: props,
  problem,
  keep,
}: {
  lifetime: Lifetime<V>;
  problem: Problem | null;
  keep?: boolean;
}) {
  // "keep" is offered only with `keep`, where V includes it.
  const options = [
    ...(keep ? ([["keep", "Unchanged"]] as const) : []),
    ["never", "Never expires"],
    ["ttl", "Lifetime (TTL)"],
    ["date", "Until a date"],
  ] as [V, string][];
  return (
    <fieldset>
      <legend>Validity</legend>
      <div class="radios">
        {options.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="validity"
              value={value}
              checked={props.validity === value}
              onChange={() => props.setValidity(value)}
            />{" "}
            {label}
          </label>
        ))}
      </div>
      {props.validity === "ttl" && (
        <Field
          id="key-ttl"
          label="Lifetime"
          path="ttl"
          problem={problem}
          hint={keep ? "Counted from the key's creation, e.g. 30d or 12h." : "e.g. 24h, 30d, 1h30m."}
        >
          {(aria) => <input {...aria} value={props.ttl} onInput={(e) => props.setTtl(e.currentTarget.value)} />}
        </Field>
      )}
      {props.validity === "date" && (
        <Field id="key-date" label="Expires on (00:00 UTC)" path="expiresAt" problem={problem}>
          {(aria) => (
            <input {...aria} type="date" value={props.date} onInput={(e) => props.setDate(e.currentTarget.value)} />
          )}
        </Field>
      )}
    </fieldset>
  );
}

/** The scope a key is created with or changed to (the create and edit dialogs). */
function ScopeField(props: {
  id: string;
  problem: Problem | null;
  scope: string;
  setScope: (s: string) => void;
  hint: string;
}) {
  return (
    <Field id={props.id} label="Scope" problem={props.problem} path="scope" hint={props.hint}>
      {(aria) => (
        <select {...aria} value={props.scope} onChange={(e) => props.setScope(e.currentTarget.value)}>
          <option value="inference">inference</option>
          <option value="project">project</option>
        </select>
      )}
    </Field>
  );
}

function CreateKeyDialog(props: { projectId: string; deployments: Deployment[]; onClose: (changed: boolean) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [scope, setScope] = useState("inference");
  const lifetime = useLifetime<Validity>("never", "30d", "");
  const [numUses, setNumUses] = useState("0");
  const [linked, setLinked] = useState<string[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<(Key & { secret: string }) | null>(null);
  // One idempotency key per dialog: a retry (say, after signing in again) cannot make a second key.
  const idempotencyKey = useMemo(() => crypto.randomUUID(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const body = {
        name,
        ...(description ? { description } : {}),
        scope,
        ...lifetimeBody(lifetime),
        numUses: numUses.trim() === "" ? Number.NaN : Number(numUses),
      };
      const key = await api.post<Key & { secret: string }>(projectPath(props.projectId, "/api-keys"), body, {
        "idempotency-key": idempotencyKey,
      });
      for (const deploymentId of linked) await api.put(`${bindingsPath(props.projectId, key.id)}/${deploymentId}`);
      setCreated(key);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (created) return <SecretOnce created={created} onClose={() => props.onClose(true)} />;
  return (
    <Dialog title="Create API key" onClose={() => props.onClose(false)} wide>
      <form onSubmit={submit} noValidate>
        <ProblemBanner problem={problem} shownPaths={["name", "description", "scope", "ttl", "expiresAt", "numUses"]} />
        <Field id="key-name" label="Name" problem={problem} path="name">
          {(aria) => (
            <input {...aria} required value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
          )}
        </Field>
        <Field id="key-description" label="Description" problem={problem} path="description">
          {(aria) => (
            <textarea {...aria} rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          )}
        </Field>
        <ScopeField
          id="key-scope"
          problem={problem}
          scope={scope}
          setScope={setScope}
          hint="inference: call linked deployments. project: manage this project's keys, secrets and deployments."
        />
        <ValidityFields lifetime={lifetime} problem={problem} />
        <Field id="key-uses" label="Number of uses" problem={problem} path="numUses" hint="0 means unlimited.">
          {(aria) => (
            <input
              {...aria}
              type="number"
              min={0}
              inputMode="numeric"
              value={numUses}
              onInput={(e) => setNumUses(e.currentTarget.value)}
            />
          )}
        </Field>
        <DeploymentChoice
          deployments={props.deployments}
          chosen={linked}
          onToggle={(id, on) => setLinked(on ? [...linked, id] : linked.filter((d) => d !== id))}
        />
        <FormButtons submit="Create key" busy={busy} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}

function DeploymentChoice(props: {
  deployments: Deployment[];
  chosen: string[];
  onToggle: (id: string, on: boolean) => void;
  disabled?: boolean;
  note?: string;
}) {
  return (
    <fieldset>
      <legend>Linked deployments</legend>
      {props.note && <p class="hint">{props.note}</p>}
      {props.deployments.length === 0 && <p class="muted">This project has no deployments.</p>}
      <div class="checks">
        {props.deployments.map((d) => (
          <label key={d.id}>
            <input
              type="checkbox"
              checked={props.chosen.includes(d.id)}
              disabled={props.disabled}
              onChange={(e) => props.onToggle(d.id, e.currentTarget.checked)}
            />{" "}
            {d.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The new key, shown this once; closing the dialog drops it from the page for good. */
function SecretOnce(props: { created: Key & { secret: string }; onClose: () => void }) {
  const [copied, setCopied] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.created.secret);
      setCopied("Copied to the clipboard.");
    } catch {
      (document.getElementById("new-secret") as HTMLInputElement).select();
      setCopied("Selected: press Ctrl+C (or ⌘C) to copy.");
    }
  };
  return (
    <Dialog title="Copy your new API key" onClose={props.onClose}>
      <p class="warning" role="note">
        This is the only time the key is shown. Copy it now and keep it somewhere safe: keyplane keeps only a hash and
        cannot show it again. From now on the console shows <code>{props.created.truncated}</code>.
      </p>
      <div class="field">
        <label for="new-secret">API key “{props.created.name}”</label>
        <div class="copy-row">
          <input
            id="new-secret"
            class="secret"
            readOnly
            value={props.created.secret}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={copy}>
            Copy
          </button>
        </div>
        <small aria-live="polite" class="hint">
          {copied}
        </small>
      </div>
      <div class="buttons">
        <button type="button" class="primary" onClick={props.onClose}>
          I have copied the key
        </button>
      </div>
    </Dialog>
  );
}

function EditKeyDialog(props: {
  projectId: string;
  apiKey: Key;
  deployments: Deployment[];
  onClose: (changed: boolean) => void;
}) {
  const k = props.apiKey;
  const [name, setName] = useState(k.name);
  const [description, setDescription] = useState(k.description);
  const [scope, setScope] = useState<string>(k.scope);
  const lifetime = useLifetime<Validity | "keep">("keep", k.ttl ?? "30d", k.expiresAt ? k.expiresAt.slice(0, 10) : "");
  const [enabled, setEnabled] = useState(k.enabled !== false);
  const [linked, setLinked] = useState<string[] | null>(null);
  const [linkNote, setLinkNote] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(false);
  const owner = pulumiOwner(k.managedBy);

  useEffect(() => {
    api.get<{ items: Binding[] }>(bindingsPath(props.projectId, k.id)).then(
      (b) => setLinked(b.items.map((x) => x.deploymentId)),
      (e) => setProblem(problemOf(e)),
    );
  }, [k.id]);

  // A binding change is its own request and takes effect at once; the rest waits for Save.
  const toggle = async (deploymentId: string, on: boolean) => {
    const dName = props.deployments.find((d) => d.id === deploymentId)?.name ?? deploymentId;
    setProblem(null);
    try {
      if (on) await api.put(`${bindingsPath(props.projectId, k.id)}/${deploymentId}`);
      else await api.del(`${bindingsPath(props.projectId, k.id)}/${deploymentId}`);
      setLinked((l) => (on ? [...(l ?? []), deploymentId] : (l ?? []).filter((d) => d !== deploymentId)));
      setLinkNote(
        on
          ? `Linked ${dName}: the key can call it now.`
          : `Unlinked ${dName}: calls with this key to it are refused from now on.`,
      );
      setChanged(true);
    } catch (e) {
      setProblem(problemOf(e));
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (name !== k.name) body.name = name;
    if (description !== k.description) body.description = description;
    if (scope !== k.scope) body.scope = scope;
    if (lifetime.validity === "never") body.ttl = "0";
    else Object.assign(body, lifetimeBody(lifetime));
    if (k.enabled !== undefined && enabled !== k.enabled) body.enabled = enabled;
    if (Object.keys(body).length === 0) return props.onClose(changed);
    setBusy(true);
    setProblem(null);
    try {
      await api.patch(projectPath(props.projectId, `/api-keys/${k.id}`), body);
      props.onClose(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Edit API key ${k.name}`} onClose={() => props.onClose(changed)} wide>
      {owner && (
        <p class="warning" role="note">
          This key is managed by Pulumi (stack <strong>{owner.stack}</strong>, resource{" "}
          <strong>{owner.resource}</strong>). Changes made here show as drift on the stack's next refresh, and its next{" "}
          <code>pulumi up</code> may undo them.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <ProblemBanner problem={problem} shownPaths={["name", "description", "scope", "ttl", "expiresAt", "enabled"]} />
        <Field id="edit-name" label="Name" problem={problem} path="name">
          {(aria) => <input {...aria} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field id="edit-description" label="Description" problem={problem} path="description">
          {(aria) => (
            <textarea {...aria} rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          )}
        </Field>
        <ScopeField
          id="edit-scope"
          problem={problem}
          scope={scope}
          setScope={setScope}
          hint="Changes what this key may do as soon as you save."
        />
        <ValidityFields lifetime={lifetime} problem={problem} keep />
        {k.enabled !== undefined && (
          <div class="field">
            <label>
              <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enabled
            </label>
            <small class="hint">A disabled key is refused until it is enabled again.</small>
          </div>
        )}
        {linked === null ? (
          <Loading what="linked deployments" />
        ) : (
          <DeploymentChoice
            deployments={props.deployments}
            chosen={linked}
            onToggle={toggle}
            note="Linking or unlinking takes effect immediately, without Save."
          />
        )}
        <p aria-live="polite" class="hint">
          {linkNote}
        </p>
        <FormButtons submit="Save" busy={busy} onCancel={() => props.onClose(changed)} />
      </form>
    </Dialog>
  );
}

function DeleteKeyDialog(props: { projectId: string; apiKey: Key; onClose: (changed: boolean) => void }) {
  const owner = pulumiOwner(props.apiKey.managedBy);
  return (
    <ConfirmDelete
      title={`Delete API key ${props.apiKey.name}?`}
      path={projectPath(props.projectId, `/api-keys/${props.apiKey.id}`)}
      confirm="Delete key"
      onClose={props.onClose}
    >
      <p>
        Access ends at once: every call with <code>{props.apiKey.truncated}</code> is refused from the moment you delete
        it. This cannot be undone.
      </p>
      {owner && (
        <p class="warning" role="note">
          This key is managed by Pulumi (stack <strong>{owner.stack}</strong>): the stack will show it as gone on its
          next refresh.
        </p>
      )}
    </ConfirmDelete>
  );
}
