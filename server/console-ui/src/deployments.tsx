import { useEffect, useState } from "preact/hooks";
import { api, type Deployment, projectPath } from "./api";
import { Columns, Loading, type Problem, ProblemBanner, problemOf, When } from "./ui";

export function DeploymentsPage(props: { projectId: string }) {
  const [items, setItems] = useState<Deployment[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    setItems(null);
    api.get<{ items: Deployment[] }>(projectPath(props.projectId, "/deployments")).then(
      (r) => setItems(r.items),
      (e) => setProblem(problemOf(e)),
    );
  }, [props.projectId]);
  return (
    <section aria-labelledby="deployments-title">
      <h2 id="deployments-title">Deployments</h2>
      <ProblemBanner problem={problem} />
      {items === null ? (
        !problem && <Loading what="deployments" />
      ) : items.length === 0 ? (
        <p class="muted">No deployments in this project yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <Columns names={["Name", "Model", "Status", "Upstream", "Updated (UTC)"]} />
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <th scope="row">{d.name}</th>
                  <td>{d.model}</td>
                  <td>
                    <span class={`status status-${d.status}`}>{d.status}</span>
                  </td>
                  <td>
                    {d.upstreamUrl ? <code>{d.upstreamUrl}</code> : <span class="muted">reference echo model</span>}
                  </td>
                  <td>
                    <When iso={d.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
