import { useEffect, useState } from "preact/hooks";
import { api, type AuditEvent, type Key, projectPath } from "./api";
import { Field, Loading, type Problem, ProblemBanner, problemOf, when } from "./ui";

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
    (e) => (!who || e.principal === who) && (!action || e.action === action) && (!needle || `${e.targetId} ${JSON.stringify(e.details)}`.toLowerCase().includes(needle)),
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
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td title={e.principal}>{whoIs(e.principal)}</td>
                  <td>{e.action}</td>
                  <td>
                    {e.targetType} <code>{e.targetId}</code>
                  </td>
                  <td>
                    <code class="small">{JSON.stringify(e.details)}</code>
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
