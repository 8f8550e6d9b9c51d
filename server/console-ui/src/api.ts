import type {
  AccessLogEntry,
  ApiKey,
  AuditEvent,
  Binding,
  Deployment,
  FieldIssue,
  Project,
  Secret,
} from "@keyplane/api";

// Fields other parts of keyplane add to a key (limits, Pulumi operations): shown when the API sends them.
export type Key = ApiKey & { enabled?: boolean; managedBy?: string | null };
export type ManagedSecret = Secret & { managedBy?: string | null };
export type { AccessLogEntry, AuditEvent, Binding, Deployment, FieldIssue, Project };

export interface Principal {
  kind: "admin" | "key";
  keyId?: string;
  projectId?: string;
}
export interface Session {
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

/** A refused request, as the API said it: code, message and the invalid fields. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[],
  ) {
    super(message);
  }
}

// The CSRF token lives in memory only; the session id itself is in an HttpOnly cookie the page never sees.
let csrfToken = "";
let onSessionLost: (message: string) => void = () => undefined;

export function bindSession(session: Session | null, lost: (message: string) => void) {
  csrfToken = session?.csrfToken ?? "";
  onSessionLost = lost;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(method === "GET" ? {} : { "x-keyplane-csrf": csrfToken || "sign-in" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = data?.error ?? {};
    const failure = new ApiFailure(
      res.status,
      error.code ?? "error",
      error.message ?? res.statusText,
      error.details ?? [],
    );
    if (res.status === 401 && !path.startsWith("/console/api/session")) onSessionLost(failure.message);
    throw failure;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body: unknown, headers?: Record<string, string>) => request<T>("POST", path, body, headers),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: (path: string) => request<void>("DELETE", path),
};

export const session = {
  current: () => request<Session>("GET", "/console/api/session"),
  signIn: (token: string) => request<Session>("POST", "/console/api/session", { token }),
  signOut: () => request<void>("DELETE", "/console/api/session"),
};

export const projectPath = (projectId: string, rest = "") => `/v1/projects/${encodeURIComponent(projectId)}${rest}`;
