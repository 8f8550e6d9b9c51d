import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { recordAudit } from "../audit/record";
import { type Callers, callerAddress } from "../auth/callers";
import { principalOf } from "../auth/principal";
import {
  type ActiveSession,
  activeSession,
  CSRF_HEADER,
  createSession,
  endSession,
  SESSION_TTL_MS,
  sameOrigin,
  sessionCookie,
  sessionIdFrom,
} from "../auth/sessions";
import { SignInThrottle } from "../auth/sign-in-throttle";
import type { Principal, Services } from "../http/context";
import { ApiError } from "../http/errors";

export interface ConsoleOptions {
  services: Services;
  callers: Callers;
  /** The built UI (vite output); defaults to dist/console-ui beside this module. */
  assetsDir?: string;
}

// Self only, nothing inline, never framed: the UI is one script and one stylesheet of our own.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** The built files, read once: a handful of small files, served from memory. */
function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (!existsSync(dir)) return files;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else
        files.set(relative(dir, full).split(sep).join("/"), {
          body: readFileSync(full),
          type: TYPES[extname(name)] ?? "application/octet-stream",
        });
    }
  };
  walk(dir);
  return files;
}

const sessionBody = (s: ActiveSession) => ({
  principal:
    s.principal.kind === "admin"
      ? { kind: "admin" }
      : { kind: "key", keyId: s.principal.keyId, projectId: s.principal.projectId },
  csrfToken: s.csrfToken,
  expiresAt: new Date(s.expiresAt).toISOString(),
});

/** GET /console (the UI) and /console/api/session (sign-in, who am I, sign-out). The pages call the v1 API with the session cookie. */
export const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, opts) => {
  const { services, callers } = opts;
  const throttle = new SignInThrottle();
  const assets = loadAssets(opts.assetsDir ?? join(__dirname, "..", "console-ui"));

  app.addHook("onSend", async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  });

  const sendFile = (path: string, reply: FastifyReply) => {
    const file = assets.get(path);
    if (!file) {
      const what = path === "index.html" ? "the console is not built; run npm run build" : `no console file ${path}`;
      return reply.code(404).send(new ApiError("not_found", what).body());
    }
    // Vite names assets by content hash, so they never change under their name.
    if (path.startsWith("assets/")) reply.header("cache-control", "public, max-age=31536000, immutable");
    return reply.type(file.type).send(file.body);
  };
  app.get("/console", (_req, reply) => sendFile("index.html", reply));
  app.get("/console/", (_req, reply) => sendFile("index.html", reply));
  app.get("/console/assets/*", (request, reply) =>
    sendFile(`assets/${(request.params as { "*": string })["*"]}`, reply),
  );

  const secure = (request: FastifyRequest) => request.protocol === "https";

  /** The principal a sign-in token stands for; the key's limits (lifetime, enabled, address, scope) hold. */
  const signInAs = (token: string, client: string): Promise<Principal> =>
    principalOf(
      services,
      callers,
      token,
      client,
      "inference keys cannot sign in; use a project-scope key or the admin token",
    ).catch((e) => {
      if (e instanceof ApiError && e.code === "invalid_key")
        throw new ApiError("invalid_key", "this is neither the admin token nor a valid keyplane key");
      throw e;
    });

  app.post("/console/api/session", async (request, reply) => {
    // A custom header and our own Origin: a cross-site form cannot sign a browser in as someone else.
    if (typeof request.headers[CSRF_HEADER] !== "string" || !sameOrigin(request.headers)) {
      throw new ApiError("forbidden", `sign-in needs the ${CSRF_HEADER} header, from this origin`);
    }
    const client = callerAddress(callers, request);
    const allowed = throttle.check(client, services.now());
    if (!allowed.ok) {
      reply.header("retry-after", String(allowed.retryAfterSeconds));
      throw new ApiError("rate_limited", "too many failed sign-ins from this address; try again later");
    }
    const token = (request.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || token.length === 0 || token.length > 512) {
      throw new ApiError("invalid_request", "invalid body: token", [
        { path: "token", message: "enter the admin token or a project-scope key" },
      ]);
    }
    let principal: Principal;
    try {
      principal = await signInAs(token, client);
    } catch (e) {
      throttle.failed(client, services.now());
      throw e;
    }
    throttle.succeeded(client);
    const session = await createSession(services, principal, callers.admin.fingerprint);
    await recordAudit(services.db, principal, services.now(), {
      projectId: principal.kind === "key" ? principal.projectId : null,
      action: "console.sign_in",
      targetType: "console_session",
      targetId: principal.kind === "key" ? principal.keyId : "admin",
    });
    reply.header("set-cookie", sessionCookie(session.id, SESSION_TTL_MS / 1000, secure(request)));
    return reply.code(201).send(sessionBody({ principal, csrfToken: session.csrfToken, expiresAt: session.expiresAt }));
  });

  app.get("/console/api/session", async (request) => {
    const id = sessionIdFrom(request.headers);
    if (!id) throw new ApiError("session_expired", "not signed in");
    return sessionBody(
      await activeSession(services, callers, id, false, {
        headers: request.headers,
        client: callerAddress(callers, request),
      }),
    );
  });

  app.delete("/console/api/session", async (request, reply) => {
    const id = sessionIdFrom(request.headers);
    if (id) {
      const session = await activeSession(services, callers, id, true, {
        headers: request.headers,
        client: callerAddress(callers, request),
      }).catch((e) => {
        if (e instanceof ApiError && (e.code === "session_expired" || e.code === "ip_not_allowed")) return undefined;
        throw e;
      });
      await endSession(services, id);
      if (session) {
        await recordAudit(services.db, session.principal, services.now(), {
          projectId: session.principal.kind === "key" ? session.principal.projectId : null,
          action: "console.sign_out",
          targetType: "console_session",
          targetId: session.principal.kind === "key" ? session.principal.keyId : "admin",
        });
      }
    }
    reply.header("set-cookie", sessionCookie("", 0, secure(request)));
    return reply.code(204).send();
  });
};
