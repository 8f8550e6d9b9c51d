import type { z } from "zod";
import * as s from "./schemas";

/**
 * The HTTP contract as data: the server registers exactly these routes, and
 * /openapi.json is generated from them.
 */
export interface RouteSpec {
  operationId: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  summary: string;
  /** management: admin token or project key; gateway: any API key; public: none; leak-report: a scanner's signature or a management credential. */
  auth: "admin" | "management" | "gateway" | "public" | "leak-report";
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  status: number;
  idempotent?: boolean;
}

const P = "/v1/projects/:projectId";
// Each route keeps its literal type, so the server derives every handler's types from its entry.
const route = <const R extends RouteSpec>(r: R) => r;

export const ROUTES = [
  route({
    operationId: "createProject",
    method: "POST",
    url: "/v1/projects",
    summary: "Create a project",
    auth: "admin",
    body: s.ProjectCreate,
    response: s.Project,
    status: 201,
    idempotent: true,
  }),
  route({ operationId: "listProjects", method: "GET", url: "/v1/projects", summary: "List projects", auth: "admin", response: s.listOf(s.Project), status: 200 }),
  route({ operationId: "getProject", method: "GET", url: P, summary: "Get a project", auth: "management", response: s.Project, status: 200 }),
  route({ operationId: "updateProject", method: "PATCH", url: P, summary: "Update a project", auth: "admin", body: s.ProjectPatch, response: s.Project, status: 200 }),
  route({ operationId: "deleteProject", method: "DELETE", url: P, summary: "Delete an empty project", auth: "admin", status: 204 }),

  route({
    operationId: "createDeployment",
    method: "POST",
    url: `${P}/deployments`,
    summary: "Create a deployment",
    auth: "management",
    body: s.DeploymentCreate,
    response: s.Deployment,
    status: 201,
    idempotent: true,
  }),
  route({ operationId: "listDeployments", method: "GET", url: `${P}/deployments`, summary: "List deployments", auth: "management", response: s.listOf(s.Deployment), status: 200 }),
  route({ operationId: "getDeployment", method: "GET", url: `${P}/deployments/:id`, summary: "Get a deployment", auth: "management", response: s.Deployment, status: 200 }),
  route({
    operationId: "updateDeployment",
    method: "PATCH",
    url: `${P}/deployments/:id`,
    summary: "Update a deployment",
    auth: "management",
    body: s.DeploymentPatch,
    response: s.Deployment,
    status: 200,
  }),
  route({ operationId: "deleteDeployment", method: "DELETE", url: `${P}/deployments/:id`, summary: "Delete a deployment and its bindings", auth: "management", status: 204 }),

  route({
    operationId: "createApiKey",
    method: "POST",
    url: `${P}/api-keys`,
    summary: "Create an API key (its secret is in this response only)",
    auth: "management",
    body: s.ApiKeyCreate,
    response: s.ApiKeyCreated,
    status: 201,
    idempotent: true,
  }),
  route({
    operationId: "listApiKeys",
    method: "GET",
    url: `${P}/api-keys`,
    summary: "List live API keys (managedBy: only those a Pulumi stack's resource manages)",
    auth: "management",
    query: s.ManagedListQuery,
    response: s.listOf(s.ApiKey),
    status: 200,
  }),
  route({ operationId: "getApiKey", method: "GET", url: `${P}/api-keys/:id`, summary: "Get an API key", auth: "management", response: s.ApiKey, status: 200 }),
  route({
    operationId: "updateApiKey",
    method: "PATCH",
    url: `${P}/api-keys/:id`,
    summary: "Update an API key's name, description, labels, scope, lifetime, enabled flag, rate limit or allowed CIDRs",
    auth: "management",
    body: s.ApiKeyPatch,
    response: s.ApiKey,
    status: 200,
  }),
  route({
    operationId: "renewApiKey",
    method: "POST",
    url: `${P}/api-keys/:id/renew`,
    summary: "Renew a renewable API key",
    auth: "management",
    body: s.ApiKeyRenew,
    response: s.ApiKeyRenewed,
    status: 200,
  }),
  route({
    operationId: "revokeApiKey",
    method: "DELETE",
    url: `${P}/api-keys/:id`,
    summary: "Revoke an API key, at once or after ?gracePeriod=",
    auth: "management",
    query: s.ApiKeyRevokeQuery,
    status: 204,
  }),
  route({
    operationId: "getApiKeyUsage",
    method: "GET",
    url: `${P}/api-keys/:id/usage`,
    summary: "A key's gateway usage: totals and per-day buckets per deployment",
    auth: "management",
    response: s.ApiKeyUsage,
    status: 200,
  }),
  route({
    operationId: "listKeyAccessLog",
    method: "GET",
    url: `${P}/api-keys/:id/access-log`,
    summary: "A key's gateway calls, refusals included, newest first",
    auth: "management",
    query: s.AccessLogQuery,
    response: s.listOf(s.AccessLogEntry),
    status: 200,
  }),
  route({
    operationId: "listAccessLog",
    method: "GET",
    url: `${P}/access-log`,
    summary: "The project's gateway calls, newest first, filterable by outcome",
    auth: "management",
    query: s.AccessLogQuery,
    response: s.listOf(s.AccessLogEntry),
    status: 200,
  }),
  route({
    operationId: "listKeyDeployments",
    method: "GET",
    url: `${P}/api-keys/:id/deployments`,
    summary: "List a key's bindings",
    auth: "management",
    response: s.listOf(s.Binding),
    status: 200,
  }),
  route({
    operationId: "bindDeployment",
    method: "PUT",
    url: `${P}/api-keys/:id/deployments/:deploymentId`,
    summary: "Bind a key to a deployment (idempotent)",
    auth: "management",
    response: s.Binding,
    status: 200,
  }),
  route({
    operationId: "unbindDeployment",
    method: "DELETE",
    url: `${P}/api-keys/:id/deployments/:deploymentId`,
    summary: "Unbind a key from a deployment (idempotent)",
    auth: "management",
    status: 204,
  }),

  route({
    operationId: "createSecret",
    method: "POST",
    url: `${P}/secrets`,
    summary: "Create a secret (the value is never returned)",
    auth: "management",
    body: s.SecretCreate,
    response: s.Secret,
    status: 201,
    idempotent: true,
  }),
  route({
    operationId: "listSecrets",
    method: "GET",
    url: `${P}/secrets`,
    summary: "List secrets' metadata",
    auth: "management",
    query: s.SecretListQuery,
    response: s.listOf(s.Secret),
    status: 200,
  }),
  route({ operationId: "getSecret", method: "GET", url: `${P}/secrets/:id`, summary: "Get a secret's metadata", auth: "management", response: s.Secret, status: 200 }),
  route({
    operationId: "updateSecret",
    method: "PATCH",
    url: `${P}/secrets/:id`,
    summary: "Update a secret's description or managedBy (the value: PUT …/value)",
    auth: "management",
    body: s.SecretPatch,
    response: s.Secret,
    status: 200,
  }),
  route({
    operationId: "putSecretValue",
    method: "PUT",
    url: `${P}/secrets/:id/value`,
    summary: "Store a new value (a new version)",
    auth: "management",
    body: s.SecretValuePut,
    response: s.Secret,
    status: 200,
  }),
  route({ operationId: "deleteSecret", method: "DELETE", url: `${P}/secrets/:id`, summary: "Delete a secret and every version of its value", auth: "management", status: 204 }),

  route({
    operationId: "listAudit",
    method: "GET",
    url: `${P}/audit`,
    summary: "The project's audit trail, newest first",
    auth: "management",
    query: s.AuditQuery,
    response: s.listOf(s.AuditEvent),
    status: 200,
  }),

  route({
    operationId: "reportLeaks",
    method: "POST",
    url: "/v1/leaks",
    summary:
      "Report tokens found in public (GitHub secret-scanning partner format): signed with GITHUB-PUBLIC-KEY-IDENTIFIER / GITHUB-PUBLIC-KEY-SIGNATURE, or sent with the admin token or a project key",
    auth: "leak-report",
    body: s.LeakReport,
    response: s.LeakReportAnswer,
    status: 200,
  }),

  route({
    operationId: "chatCompletions",
    method: "POST",
    url: "/v1/chat/completions",
    summary: "OpenAI chat completion (SSE with stream: true), gated by an API key",
    auth: "gateway",
    body: s.ChatCompletionRequest,
    response: s.ChatCompletion,
    status: 200,
  }),
  route({
    operationId: "completions",
    method: "POST",
    url: "/v1/completions",
    summary: "OpenAI text completion (SSE with stream: true), gated by an API key",
    auth: "gateway",
    body: s.CompletionRequest,
    response: s.Completion,
    status: 200,
  }),
  route({
    operationId: "embeddings",
    method: "POST",
    url: "/v1/embeddings",
    summary: "OpenAI embeddings, gated by an API key",
    auth: "gateway",
    body: s.EmbeddingRequest,
    response: s.EmbeddingList,
    status: 200,
  }),
  route({
    operationId: "inference",
    method: "POST",
    url: "/v1/inference",
    summary: "Inference call (a chat completion upstream), gated by an API key",
    auth: "gateway",
    body: s.InferenceRequest,
    response: s.ChatCompletion,
    status: 200,
  }),
  route({
    operationId: "listModels",
    method: "GET",
    url: "/v1/models",
    summary: "The deployments this key may call, in OpenAI's list format",
    auth: "gateway",
    response: s.ModelList,
    status: 200,
  }),

  route({ operationId: "healthz", method: "GET", url: "/healthz", summary: "Liveness", auth: "public", response: s.Health, status: 200 }),
  route({ operationId: "readyz", method: "GET", url: "/readyz", summary: "Readiness (database reachable)", auth: "public", response: s.Health, status: 200 }),
] as const satisfies readonly RouteSpec[];
