import { useEffect, useState } from "preact/hooks";
import { api, bindSession, type Project, projectPath, type Session, session as sessions } from "./api";
import { AuditPage } from "./audit";
import { DeploymentsPage } from "./deployments";
import { KeysPage } from "./keys";
import { SecretsPage } from "./secrets";
import { Dialog, Field, type Problem, ProblemBanner, problemOf } from "./ui";

const PAGES = [
  ["keys", "API keys"],
  ["secrets", "Secrets"],
  ["deployments", "Deployments"],
  ["audit", "Audit"],
] as const;
type Page = (typeof PAGES)[number][0];
const pageFromHash = (): Page => (PAGES.find(([p]) => location.hash === `#/${p}`)?.[0] ?? "keys") as Page;

const principalId = (s: Session) => `${s.principal.kind}:${s.principal.keyId ?? ""}`;

export function App() {
  // undefined: still asking the server whether this browser has a session.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  // Set when a request finds the session gone: sign-in opens over the page, which keeps what was typed.
  const [lost, setLost] = useState<string | null>(null);
  bindSession(session ?? null, (message) => setLost(message));

  useEffect(() => {
    sessions.current().then(setSession, () => setSession(null));
  }, []);

  if (session === undefined) return null;
  if (session === null) {
    return (
      <main class="signin-page">
        <h1>keyplane console</h1>
        <SignInForm onSignedIn={setSession} />
      </main>
    );
  }
  const signedInAgain = (next: Session) => {
    setLost(null);
    setSession(next);
  };
  return (
    <>
      <Console key={principalId(session)} session={session} onSignedOut={() => setSession(null)} />
      {lost !== null && (
        <Dialog title="Sign in again" onClose={() => undefined}>
          <p>{lost} What you typed is kept: sign in and send it again.</p>
          <SignInForm onSignedIn={signedInAgain} />
        </Dialog>
      )}
    </>
  );
}

function SignInForm(props: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const s = await sessions.signIn(token);
      setToken("");
      props.onSignedIn(s);
    } catch (err) {
      const p = problemOf(err);
      setProblem({ message: p.message, fields: { token: p.fields.token ?? p.message } });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="signin" noValidate>
      <Field
        id="signin-token"
        label="Admin token or project key"
        problem={problem}
        path="token"
        hint="Exchanged for a session cookie; the token itself is not kept in the browser."
      >
        {(aria) => (
          <input
            {...aria}
            type="password"
            autoComplete="current-password"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        )}
      </Field>
      <button type="submit" class="primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}

function Console(props: { session: Session; onSignedOut: () => void }) {
  const { principal } = props.session;
  const [page, setPage] = useState<Page>(pageFromHash());
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [projectId, setProjectId] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    // A project key sees its own project only; the admin picks among all.
    const load =
      principal.kind === "key"
        ? api.get<Project>(projectPath(principal.projectId!)).then((p) => [p])
        : api.get<{ items: Project[] }>("/v1/projects").then((r) => r.items);
    load.then(
      (list) => {
        list.sort((a, b) => a.name.localeCompare(b.name));
        setProjects(list);
        setProjectId((current) => current || list[0]?.id || "");
      },
      (e) => setProblem(problemOf(e)),
    );
  }, []);

  const signOut = async () => {
    await sessions.signOut().catch(() => undefined);
    props.onSignedOut();
  };

  return (
    <>
      <header class="top">
        <h1>keyplane console</h1>
        {projects && projects.length > 0 && (
          <div class="project-pick">
            <label for="project">Project</label>
            <select
              id="project"
              value={projectId}
              onChange={(e) => setProjectId(e.currentTarget.value)}
              disabled={principal.kind === "key"}
            >
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <span class="who">{principal.kind === "admin" ? "Signed in as admin" : "Signed in with a project key"}</span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console pages">
        <ul>
          {PAGES.map(([p, label]) => (
            <li key={p}>
              <a href={`#/${p}`} aria-current={p === page ? "page" : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <ProblemBanner problem={problem} />
        {projects?.length === 0 && (
          <p class="muted">No projects yet: create one with the API or with Pulumi (keyplane.Project).</p>
        )}
        {projectId && page === "keys" && <KeysPage projectId={projectId} />}
        {projectId && page === "secrets" && <SecretsPage projectId={projectId} />}
        {projectId && page === "deployments" && <DeploymentsPage projectId={projectId} />}
        {projectId && page === "audit" && <AuditPage projectId={projectId} />}
      </main>
    </>
  );
}
