import { useEffect, useMemo, useState } from "preact/hooks";
import { api, type ManagedSecret, projectPath } from "./api";
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
} from "./ui";

type UseCase = ManagedSecret["useCase"];
const USE_CASES: [UseCase, string][] = [
  ["huggingface", "Hugging Face token"],
  ["s3", "S3 credentials"],
  ["image-pull", "Image pull (registry)"],
  ["generic", "Generic key/value"],
];
const labelOf = (u: UseCase) => USE_CASES.find(([v]) => v === u)?.[1] ?? u;

type SecretDialog =
  | { kind: "create" }
  | { kind: "version"; secret: ManagedSecret }
  | { kind: "delete"; secret: ManagedSecret }
  | null;

export function SecretsPage(props: { projectId: string }) {
  const { projectId } = props;
  const [secrets, setSecrets] = useState<ManagedSecret[] | null>(null);
  const [search, setSearch] = useState("");
  const [useCase, setUseCase] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [dialog, setDialog] = useState<SecretDialog>(null);

  const load = async () => {
    const query = new URLSearchParams({ ...(search ? { search } : {}), ...(useCase ? { useCase } : {}) }).toString();
    try {
      setSecrets(
        (await api.get<{ items: ManagedSecret[] }>(projectPath(projectId, `/secrets${query ? `?${query}` : ""}`)))
          .items,
      );
      setProblem(null);
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  useEffect(() => {
    void load();
  }, [projectId, search, useCase]);
  const closeDialog = (changed: boolean) => {
    setDialog(null);
    if (changed) void load();
  };

  return (
    <section aria-labelledby="secrets-title">
      <div class="page-head">
        <h2 id="secrets-title">Secrets</h2>
        <button type="button" class="primary" onClick={() => setDialog({ kind: "create" })}>
          Create secret
        </button>
      </div>
      <p class="muted">Values are encrypted at rest and never shown here or by the API.</p>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field id="secret-search" label="Search by name">
          {(aria) => <input {...aria} type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
        <Field id="secret-filter" label="Use case">
          {(aria) => (
            <select {...aria} value={useCase} onChange={(e) => setUseCase(e.currentTarget.value)}>
              <option value="">All use cases</option>
              {USE_CASES.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ProblemBanner problem={problem} />
      {secrets === null ? (
        <Loading what="secrets" />
      ) : secrets.length === 0 ? (
        <p class="muted">{search || useCase ? "No secret matches." : "No secrets in this project yet."}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <Columns names={["Name", "Use case", "Version", "Created (UTC)", "Creator", "Managed by", "Actions"]} />
            <tbody>
              {secrets.map((s) => {
                const owner = pulumiOwner(s.managedBy);
                return (
                  <tr key={s.id}>
                    <th scope="row">
                      {s.name}
                      {s.description && <div class="muted small">{s.description}</div>}
                      {s.allowedUpstreams.length > 0 && (
                        <div class="muted small">May be sent to {s.allowedUpstreams.join(", ")}</div>
                      )}
                    </th>
                    <td>{labelOf(s.useCase)}</td>
                    <td>{s.version}</td>
                    <td>
                      <When iso={s.createdAt} />
                    </td>
                    <td>{s.createdBy}</td>
                    <td>
                      {owner ? (
                        <span title={owner.urn}>
                          Pulumi: stack {owner.stack}, resource {owner.resource}
                        </span>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td class="actions">
                      <button
                        type="button"
                        onClick={() => setDialog({ kind: "version", secret: s })}
                        aria-label={`New version of ${s.name}`}
                      >
                        New version
                      </button>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => setDialog({ kind: "delete", secret: s })}
                        aria-label={`Delete ${s.name}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === "create" && <SecretForm projectId={projectId} onClose={closeDialog} />}
      {dialog?.kind === "version" && <SecretForm projectId={projectId} secret={dialog.secret} onClose={closeDialog} />}
      {dialog?.kind === "delete" && (
        <DeleteSecretDialog projectId={projectId} secret={dialog.secret} onClose={closeDialog} />
      )}
    </section>
  );
}

interface ValueState {
  token: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  endpoint: string;
  pullMode: "credentials" | "dockerconfig";
  registry: string;
  username: string;
  password: string;
  dockerConfigJson: string;
  pairs: { key: string; value: string }[];
}
const EMPTY: ValueState = {
  token: "",
  accessKeyId: "",
  secretAccessKey: "",
  region: "",
  endpoint: "",
  pullMode: "credentials",
  registry: "",
  username: "",
  password: "",
  dockerConfigJson: "",
  pairs: [{ key: "", value: "" }],
};

/** The value the API takes for a use case; optional fields left empty are left out. */
function apiValue(useCase: UseCase, v: ValueState): Record<string, unknown> {
  switch (useCase) {
    case "huggingface":
      return { token: v.token };
    case "s3":
      return {
        accessKeyId: v.accessKeyId,
        secretAccessKey: v.secretAccessKey,
        ...(v.region ? { region: v.region } : {}),
        ...(v.endpoint ? { endpoint: v.endpoint } : {}),
      };
    case "image-pull":
      return v.pullMode === "dockerconfig"
        ? { dockerConfigJson: v.dockerConfigJson }
        : { registry: v.registry, username: v.username, password: v.password };
    case "generic":
      return {
        data: Object.fromEntries(v.pairs.filter((p) => p.key !== "" || p.value !== "").map((p) => [p.key, p.value])),
      };
  }
}

/** Create a secret, or store a new version of one: the fields its use case needs, values write-only. */
function SecretForm(props: { projectId: string; secret?: ManagedSecret; onClose: (changed: boolean) => void }) {
  const existing = props.secret;
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [useCase, setUseCase] = useState<UseCase>(existing?.useCase ?? "huggingface");
  const [v, setV] = useState<ValueState>(EMPTY);
  const [upstreams, setUpstreams] = useState((existing?.allowedUpstreams ?? []).join("\n"));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useMemo(() => crypto.randomUUID(), []);
  const set = (patch: Partial<ValueState>) => setV((old) => ({ ...old, ...patch }));
  const input = (
    id: string,
    label: string,
    field: keyof ValueState,
    opts: { secret?: boolean; hint?: string } = {},
  ) => (
    <Field id={`secret-${id}`} label={label} problem={problem} path={`value.${field}`} hint={opts.hint}>
      {(aria) =>
        opts.secret ? (
          <input
            {...aria}
            type="password"
            autoComplete="off"
            value={v[field] as string}
            onInput={(e) => set({ [field]: e.currentTarget.value })}
          />
        ) : (
          <input
            {...aria}
            autoComplete="off"
            value={v[field] as string}
            onInput={(e) => set({ [field]: e.currentTarget.value })}
          />
        )
      }
    </Field>
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    // One origin a line: where the gateway may send the value, set with it.
    const allowedUpstreams = upstreams
      .split(/[\s,]+/)
      .map((o) => o.trim())
      .filter(Boolean);
    try {
      if (existing)
        await api.put(projectPath(props.projectId, `/secrets/${existing.id}/value`), {
          value: apiValue(useCase, v),
          allowedUpstreams,
        });
      else
        await api.post(
          projectPath(props.projectId, "/secrets"),
          { name, ...(description ? { description } : {}), useCase, value: apiValue(useCase, v), allowedUpstreams },
          { "idempotency-key": idempotencyKey },
        );
      props.onClose(true);
    } catch (err) {
      const found = problemOf(err);
      // allowedUpstreams.N: shown by the one field, naming the line.
      for (const [path, message] of Object.entries(found.fields)) {
        if (!path.startsWith("allowedUpstreams.")) continue;
        found.fields.allowedUpstreams ??= `line ${Number(path.split(".")[1]) + 1}: ${message}`;
        delete found.fields[path];
      }
      setProblem(found);
    } finally {
      setBusy(false);
    }
  };
  const shown = [
    "name",
    "description",
    "useCase",
    "value.token",
    "value.accessKeyId",
    "value.secretAccessKey",
    "value.region",
    "value.endpoint",
    "value.registry",
    "value.username",
    "value.password",
    "value.dockerConfigJson",
    "value.data",
    "allowedUpstreams",
  ];

  return (
    <Dialog
      title={existing ? `New version of ${existing.name}` : "Create secret"}
      onClose={() => props.onClose(false)}
      wide
    >
      <form onSubmit={submit} noValidate autoComplete="off">
        <ProblemBanner problem={problem} shownPaths={shown} />
        {existing ? (
          <p>
            Version {existing.version + 1} replaces version {existing.version} ({labelOf(existing.useCase)}). The
            current value is not shown.
          </p>
        ) : (
          <>
            <Field
              id="secret-name"
              label="Name"
              problem={problem}
              path="name"
              hint="2-253 characters of a-z, 0-9 and '-'."
            >
              {(aria) => <input {...aria} value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />}
            </Field>
            <Field id="secret-description" label="Description" problem={problem} path="description">
              {(aria) => <input {...aria} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
            </Field>
            <Field id="secret-use-case" label="Use case" problem={problem} path="useCase">
              {(aria) => (
                <select {...aria} value={useCase} onChange={(e) => setUseCase(e.currentTarget.value as UseCase)}>
                  {USE_CASES.map(([val, l]) => (
                    <option key={val} value={val}>
                      {l}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        )}
        <fieldset>
          <legend>Value</legend>
          {useCase === "huggingface" && input("token", "Hugging Face token", "token", { secret: true })}
          {useCase === "s3" && (
            <>
              {input("access-key-id", "Access key ID", "accessKeyId")}
              {input("secret-access-key", "Secret access key", "secretAccessKey", { secret: true })}
              {input("region", "Region (optional)", "region")}
              {input("endpoint", "Endpoint URL (optional)", "endpoint", {
                hint: "For S3-compatible stores, e.g. https://minio.example:9000",
              })}
            </>
          )}
          {useCase === "image-pull" && (
            <>
              <div class="radios" role="radiogroup" aria-label="Registry credential form">
                <label>
                  <input
                    type="radio"
                    name="pull-mode"
                    checked={v.pullMode === "credentials"}
                    onChange={() => set({ pullMode: "credentials" })}
                  />{" "}
                  Registry, user and password
                </label>
                <label>
                  <input
                    type="radio"
                    name="pull-mode"
                    checked={v.pullMode === "dockerconfig"}
                    onChange={() => set({ pullMode: "dockerconfig" })}
                  />{" "}
                  .dockerconfigjson
                </label>
              </div>
              {v.pullMode === "credentials" ? (
                <>
                  {input("registry", "Registry", "registry", { hint: "e.g. ghcr.io" })}
                  {input("username", "Username", "username")}
                  {input("password", "Password or token", "password", { secret: true })}
                </>
              ) : (
                <Field
                  id="secret-dockerconfig"
                  label=".dockerconfigjson"
                  problem={problem}
                  path="value.dockerConfigJson"
                >
                  {(aria) => (
                    <textarea
                      {...aria}
                      rows={5}
                      spellcheck={false}
                      value={v.dockerConfigJson}
                      onInput={(e) => set({ dockerConfigJson: e.currentTarget.value })}
                    />
                  )}
                </Field>
              )}
            </>
          )}
          {useCase === "generic" && (
            <div class="pairs">
              {v.pairs.map((p, i) => (
                <div class="pair" key={i}>
                  <Field id={`pair-key-${i}`} label={`Key ${i + 1}`}>
                    {(aria) => (
                      <input
                        {...aria}
                        value={p.key}
                        onInput={(e) =>
                          set({ pairs: v.pairs.map((q, j) => (j === i ? { ...q, key: e.currentTarget.value } : q)) })
                        }
                      />
                    )}
                  </Field>
                  <Field id={`pair-value-${i}`} label={`Value ${i + 1}`}>
                    {(aria) => (
                      <input
                        {...aria}
                        type="password"
                        autoComplete="off"
                        value={p.value}
                        onInput={(e) =>
                          set({ pairs: v.pairs.map((q, j) => (j === i ? { ...q, value: e.currentTarget.value } : q)) })
                        }
                      />
                    )}
                  </Field>
                  <button
                    type="button"
                    onClick={() => set({ pairs: v.pairs.filter((_, j) => j !== i) })}
                    disabled={v.pairs.length === 1}
                    aria-label={`Remove pair ${i + 1}`}
                  >
                    Remove
                  </button>
                </div>
              ))}
              <button type="button" onClick={() => set({ pairs: [...v.pairs, { key: "", value: "" }] })}>
                Add a pair
              </button>
              {problem?.fields["value.data"] && <small class="field-error">{problem.fields["value.data"]}</small>}
            </div>
          )}
        </fieldset>
        {(useCase === "huggingface" || useCase === "generic") && (
          <Field
            id="secret-upstreams"
            label="Allowed upstreams"
            problem={problem}
            path="allowedUpstreams"
            hint="Origins a deployment may send this value to, one a line (e.g. https://api-inference.huggingface.co). Empty: nowhere. Changed only with a new value."
          >
            {(aria) => (
              <textarea
                {...aria}
                rows={3}
                spellcheck={false}
                value={upstreams}
                onInput={(e) => setUpstreams(e.currentTarget.value)}
              />
            )}
          </Field>
        )}
        <FormButtons
          submit={existing ? "Store new version" : "Create secret"}
          busy={busy}
          onCancel={() => props.onClose(false)}
        />
      </form>
    </Dialog>
  );
}

function DeleteSecretDialog(props: { projectId: string; secret: ManagedSecret; onClose: (changed: boolean) => void }) {
  return (
    <ConfirmDelete
      title={`Delete secret ${props.secret.name}?`}
      path={projectPath(props.projectId, `/secrets/${props.secret.id}`)}
      confirm="Delete secret"
      onClose={props.onClose}
    >
      <p>Every version of its value is deleted at once; deployments that use it lose it. This cannot be undone.</p>
    </ConfirmDelete>
  );
}
