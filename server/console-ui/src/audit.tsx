import { useEffect, useState } from "preact/hooks";
import { type AuditEvent, api, type Key, projectPath } from "./api";
import { Columns, Field, Loading, type Problem, ProblemBanner, problemOf, When } from "./ui";

export function AuditPage(props: { projectId: string }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [who, setWho] = useState("");
  const [action, setAction] = useState("");
  const [text, setText] = useState("");
  // Key principals read better by name; revoked keys are no longer listed and keep their id.
  const [keyNames, setKeyNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    setEvents(null);
    api.get<{ items: Key[] }>(projectPath(props.projectId, "/api-keys")).then(
      (r) => setKeyNames(new Map(r.items.map((k) => [`key:${k.id}`, k.name]))),
      () => undefined,
    );
    api.get<{ items: AuditEvent[] }>(projectPath(props.projectId, "/audit?limit=1000")).then(
      (r) => setEvents(r.items),
      (e) => setProblem(problemOf(e)),
    );
  }, [props.projectId]);
  const principals = [...new Set((events ?? []).map((e) => e.principal))].sort();
  const actions = [...new Set((events ?? []).map((e) => e.action))].sort();
  const whoIs = (principal: string) => (keyNames.has(principal) ? `key “${keyNames.get(principal)}”` : principal);
  const needle = text.trim().toLowerCase();
  const shown = (events ?? []).filter(
    (e) =>
      (!who || e.principal === who) &&
      (!action || e.action === action) &&
      (!needle || `${e.targetId} ${JSON.stringify(e.details)}`.toLowerCase().includes(needle)),
  );
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field id="audit-who" label="Who">
          {(aria) => (
            <select {...aria} value={who} onChange={(e) => setWho(e.currentTarget.value)}>
              <option value="">Anyone</option>
              {principals.map((p) => (
                <option key={p} value={p}>
                  {whoIs(p)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="audit-action" label="What">
          {(aria) => (
            <select {...aria} value={action} onChange={(e) => setAction(e.currentTarget.value)}>
              <option value="">Any action</option>
              {actions.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          )}
        </Field>
        <Field id="audit-text" label="Target or detail contains">
          {(aria) => <input {...aria} type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />}
        </Field>
      </form>
      <ProblemBanner problem={problem} />
      {events === null ? (
        !problem && <Loading what="the audit trail" />
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Latest {events.length} audit events, newest first</caption>
            <Columns names={["When (UTC)", "Who", "What", "Target", "Details"]} />
            <tbody>
              {shown.map((e) => (
                <tr key={e.id}>
                  <td>
                    <When iso={e.at} />
                  </td>
                  <td title={e.principal}>{whoIs(e.principal)}</td>
                  <td>{e.action}</td>
                  <td title={`${e.targetType} ${e.targetId}`}>{targetOf(e, keyNames)}</td>
                  <td class="wrap">
                    <Details details={e.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <p class="muted">No event matches.</p>}
        </div>
      )}
    </section>
  );
}

const TARGET_KINDS: Record<string, string> = {
  api_key: "key",
  deployment: "deployment",
  secret: "secret",
  binding: "binding",
  project: "project",
};

/** A target by kind and name where the trail or the key list knows it; the id stays in the cell's title. */
function targetOf(e: AuditEvent, keyNames: Map<string, string>): string {
  const kind = TARGET_KINDS[e.targetType] ?? e.targetType;
  const name = keyNames.get(`key:${e.targetId}`) ?? (typeof e.details?.name === "string" ? e.details.name : undefined);
  return name ? `${kind} “${name}”` : `${kind} …${e.targetId.slice(-6)}`;
}

/** An event's details as short "field: value" lines rather than raw JSON. */
function Details(props: { details: Record<string, unknown> | null | undefined }) {
  const entries = Object.entries(props.details ?? {}).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <dl class="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{readable(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function readable(v: unknown): string {
  if (v === null) return "none";
  if (Array.isArray(v)) return v.length ? v.map(readable).join(", ") : "none";
  if (typeof v === "object")
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k} ${readable(x)}`)
      .join(", ");
  return String(v);
}
