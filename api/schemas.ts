import { z } from "zod";
import { parseCidr } from "./cidr";
import { MAX_DURATION_SECONDS, parseDuration } from "./duration";

// ---- building blocks -------------------------------------------------------

export const Slug = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
    "must be 2-63 characters of a-z, 0-9 and '-', start with a letter and end with a letter or digit",
  );

export const KeyName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,127}$/,
    "must be 1-128 characters of letters, digits, space, '.', '_', ':' or '-', starting with a letter or digit",
  );

export const SecretName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,251}[a-z0-9]$/,
    "must be 2-253 characters of a-z, 0-9 and '-', start with a letter and end with a letter or digit",
  );

export const Description = z.string().max(1024);

export const Duration = z
  .string()
  .max(64)
  .superRefine((text, ctx) => {
    const seconds = parseDuration(text);
    if (seconds === undefined)
      ctx.addIssue({
        code: "custom",
        message: 'must be a duration such as 90s, 15m, 24h, 30d or 1h30m, or "0" for none',
      });
    else if (seconds > MAX_DURATION_SECONDS)
      ctx.addIssue({ code: "custom", message: "must be at most 100 years (36525d)" });
  });

export const Timestamp = z.iso.datetime({ offset: true });

/** An expiry: a timestamp, or a date alone meaning 00:00 UTC that day (as Gcore's keys take it). */
export const ExpiryTime = z.union([Timestamp, z.iso.date()], {
  error: "must be an ISO 8601 timestamp or a date (YYYY-MM-DD, 00:00 UTC)",
});

export const Labels = z
  .record(
    z
      .string()
      .regex(
        /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/,
        "label keys are 1-63 characters of letters, digits, '.', '_', '/', '-'",
      ),
    z.string().max(256),
  )
  .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels");

export const Id = z.string().regex(/^[a-z]{3}_[0-9A-Za-z]{16,40}$/, "is not a keyplane id");

export const Scope = z.enum(["inference", "project"]);
export const DeploymentAccess = z.enum(["bound", "all"]);
export const DeploymentStatus = z.enum(["running", "stopped"]);
export const UseCase = z.enum(["huggingface", "s3", "image-pull", "generic"]);

// ---- projects --------------------------------------------------------------

export const ProjectCreate = z.strictObject({ name: Slug, description: Description.optional() });
export const ProjectPatch = z.strictObject({ description: Description.optional() });
export const Project = z.object({
  id: Id,
  name: Slug,
  description: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// ---- deployments -----------------------------------------------------------

/** The base URL of an OpenAI-compatible server (e.g. http://vllm:8000/v1); routes are appended to it. */
const UpstreamUrl = z.url({ protocol: /^https?$/ }).max(2048);
/**
 * An upstream origin a secret may be sent to: scheme, host and port as `new URL(..).origin`
 * writes them (https://api-inference.huggingface.co, http://vllm.models.svc:8000), or "*"
 * for any origin the server's egress policy allows.
 */
export const UpstreamOrigin = z
  .string()
  .max(2048)
  .refine((text) => {
    if (text === "*") return true;
    try {
      const url = new URL(text);
      return (url.protocol === "http:" || url.protocol === "https:") && text.replace(/\/$/, "") === url.origin;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://api-inference.huggingface.co or http://vllm.models.svc:8000 (scheme, lowercase host, port; no path), or "*"');
/** Empty: the secret is sent upstream nowhere. */
export const AllowedUpstreams = z.array(UpstreamOrigin).max(64);

/** The id of a Secret in the same project (use case huggingface, or generic with a `token` entry). */
export const UpstreamSecret = z.string().regex(/^sec_[0-9A-Za-z]{16,40}$/, "must be a Secret's id (sec_...)");
export const DeploymentCreate = z.strictObject({
  name: Slug,
  model: z.string().min(1).max(256),
  status: DeploymentStatus.optional(),
  upstreamUrl: UpstreamUrl.optional(),
  upstreamSecret: UpstreamSecret.optional(),
});
export const DeploymentPatch = z.strictObject({
  model: z.string().min(1).max(256).optional(),
  status: DeploymentStatus.optional(),
  upstreamUrl: UpstreamUrl.nullable().optional(),
  upstreamSecret: UpstreamSecret.nullable().optional(),
});
export const Deployment = z.object({
  id: Id,
  projectId: Id,
  name: Slug,
  model: z.string(),
  status: DeploymentStatus,
  upstreamUrl: z.string().nullable(),
  upstreamSecret: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// ---- api keys --------------------------------------------------------------

const NumUses = z.number().int().min(0).max(1_000_000_000);
/** Who manages the object, e.g. `pulumi:<stack>:<urn>`: metadata for operators, not access control. */
const ManagedBy = z.string().min(1).max(2048);
export const ManagedListQuery = z.strictObject({ managedBy: ManagedBy.optional() });

/** Fixed windows from 1s to 24h: long enough for daily quotas, short enough for one counter per key. */
export const RateWindow = z.string().refine((w) => {
  const seconds = parseDuration(w);
  return seconds !== undefined && seconds >= 1 && seconds <= 86400;
}, "must be a duration from 1s to 24h, such as 1s, 1m or 1h");
export const RateLimit = z.strictObject({
  limit: z.number().int().min(1, "must be at least 1").max(1_000_000_000),
  window: RateWindow,
});
export const Cidr = z
  .string()
  .max(64)
  .refine((c) => parseCidr(c) !== undefined, "must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32");
/** Empty: calls from anywhere. */
export const AllowedCidrs = z.array(Cidr).max(256);

export const ApiKeyCreate = z
  .strictObject({
    name: KeyName,
    description: Description.optional(),
    labels: Labels.optional(),
    scope: Scope.optional(),
    deploymentAccess: DeploymentAccess.optional(),
    ttl: Duration.optional(),
    expiresAt: ExpiryTime.optional(),
    renewable: z.boolean().optional(),
    explicitMaxTtl: Duration.optional(),
    numUses: NumUses.optional(),
    managedBy: ManagedBy.optional(),
    enabled: z.boolean().optional(),
    rateLimit: RateLimit.optional(),
    allowedCidrs: AllowedCidrs.optional(),
  })
  .refine((k) => !(k.ttl !== undefined && k.expiresAt !== undefined), {
    path: ["expiresAt"],
    message: "set ttl or expiresAt, not both",
  });

export const ApiKeyPatch = z
  .strictObject({
    name: KeyName.optional(),
    description: Description.optional(),
    labels: Labels.optional(),
    /** Changed in place and audited; the Pulumi provider still replaces on a scope change. */
    scope: Scope.optional(),
    ttl: Duration.optional(),
    expiresAt: ExpiryTime.optional(),
    managedBy: ManagedBy.nullable().optional(),
    enabled: z.boolean().optional(),
    /** null: no rate limit. */
    rateLimit: RateLimit.nullable().optional(),
    allowedCidrs: AllowedCidrs.optional(),
  })
  .refine((k) => !(k.ttl !== undefined && k.expiresAt !== undefined), {
    path: ["expiresAt"],
    message: "set ttl or expiresAt, not both",
  });

/** gracePeriod: the key keeps working that long, then expires (default: revoked at once). */
export const ApiKeyRevokeQuery = z.strictObject({ gracePeriod: Duration.optional() });

export const ApiKeyRenew = z.strictObject({ increment: Duration.optional() });

/** leaked: reported found in public (POST /v1/leaks); refused like a revoked key, and replaced by the provider. */
export const ApiKeyStatus = z.enum(["active", "expired", "exhausted", "revoked", "leaked"]);

export const ApiKey = z.object({
  id: Id,
  projectId: Id,
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  scope: Scope,
  deploymentAccess: DeploymentAccess,
  /** Display form only: kp_•••••••• and the last 4 characters. */
  truncated: z.string(),
  status: ApiKeyStatus,
  createdAt: Timestamp,
  createdBy: z.string(),
  /** null: never expires. */
  expiresAt: Timestamp.nullable(),
  /** The latest expiry renewal can reach (createdAt + explicitMaxTtl); null: no cap. */
  maxExpiresAt: Timestamp.nullable(),
  ttl: z.string().nullable(),
  explicitMaxTtl: z.string().nullable(),
  renewable: z.boolean(),
  numUses: z.number().int(),
  /** null: unlimited. */
  usesRemaining: z.number().int().nullable(),
  lastUsedAt: Timestamp.nullable(),
  managedBy: z.string().nullable(),
  enabled: z.boolean(),
  rateLimit: RateLimit.nullable(),
  allowedCidrs: z.array(z.string()),
  /** The last change to the key or its bindings. */
  updatedAt: Timestamp,
  /** How many deployments the key is bound to. */
  deploymentCount: z.number().int().min(0),
  /** When the key was first reported leaked, and where it was found (null: never reported). */
  leakedAt: Timestamp.nullable(),
  leakSource: z.string().nullable(),
  leakUrl: z.string().nullable(),
});

/** The create response: the only place the key's secret is ever shown. */
export const ApiKeyCreated = ApiKey.extend({ secret: z.string() });
export const ApiKeyRenewed = ApiKey.extend({ warnings: z.array(z.string()) });

export const Binding = z.object({
  apiKeyId: Id,
  deploymentId: Id,
  projectId: Id,
  createdAt: Timestamp,
});

// ---- usage and access log ---------------------------------------------------

export const UsageCounts = z.object({
  requests: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
});
/** One UTC day, YYYY-MM-DD. */
export const UsageDay = UsageCounts.extend({ day: z.string() });
export const DeploymentUsage = UsageCounts.extend({
  deploymentId: z.string(),
  /** null once the deployment is deleted. */
  deployment: z.string().nullable(),
  days: z.array(UsageDay),
});
export const ApiKeyUsage = z.object({
  apiKeyId: Id,
  lastUsedAt: Timestamp.nullable(),
  totals: UsageCounts,
  deployments: z.array(DeploymentUsage),
});

export const AccessLogEntry = z.object({
  id: z.number().int(),
  at: Timestamp,
  apiKeyId: z.string().nullable(),
  /** The deployment the call named (its `model`). */
  deployment: z.string().nullable(),
  /** "ok" or the refusal's error code. */
  outcome: z.string(),
  status: z.number().int(),
  clientAddress: z.string(),
});
/** Filters of both access-log views: entries since a time, of one outcome, at most `limit`. */
export const AccessLogQuery = z.strictObject({
  since: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  outcome: z
    .string()
    .regex(/^[a-z_]{1,64}$/, 'must be "ok" or an error code such as rate_limited')
    .optional(),
});

// ---- secrets ---------------------------------------------------------------

const Token = z.string().min(1).max(4096);
export const HuggingFaceValue = z.strictObject({ token: Token });
export const S3Value = z.strictObject({
  accessKeyId: z.string().min(1).max(256),
  secretAccessKey: z.string().min(1).max(1024),
  region: z.string().min(1).max(64).optional(),
  endpoint: z.url().max(2048).optional(),
});
const DockerConfigJson = z
  .string()
  .max(65536)
  .superRefine((text, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON (a Docker config.json)" });
      return;
    }
    const auths = (parsed as { auths?: unknown } | null)?.auths;
    if (typeof auths !== "object" || auths === null || Array.isArray(auths)) {
      ctx.addIssue({ code: "custom", message: 'must be a Docker config.json with an "auths" object' });
    }
  });
export const ImagePullValue = z.union([
  z.strictObject({ dockerConfigJson: DockerConfigJson }),
  z.strictObject({
    registry: z.string().min(1).max(512),
    username: z.string().min(1).max(512),
    password: z.string().min(1).max(4096),
  }),
]);
export const GenericValue = z.strictObject({
  data: z
    .record(
      z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, "keys are 1-253 characters of letters, digits, '-', '_', '.'"),
      z.string().max(65536),
    )
    .refine((d) => Object.keys(d).length > 0, "needs at least one entry"),
});

/** The value shape each use case requires: one table for server, provider and policy. */
export const SECRET_VALUE_SCHEMAS = {
  huggingface: HuggingFaceValue,
  s3: S3Value,
  "image-pull": ImagePullValue,
  generic: GenericValue,
} as const;

const secretCreateOf = <U extends z.infer<typeof UseCase>>(useCase: U) =>
  z.strictObject({
    name: SecretName,
    description: Description.optional(),
    useCase: z.literal(useCase),
    value: SECRET_VALUE_SCHEMAS[useCase],
    /** Where the gateway may send the value as a deployment's upstreamSecret; set only with a value. */
    allowedUpstreams: AllowedUpstreams.optional(),
    managedBy: ManagedBy.optional(),
  });

export const SecretCreate = z.discriminatedUnion("useCase", [
  secretCreateOf("huggingface"),
  secretCreateOf("s3"),
  secretCreateOf("image-pull"),
  secretCreateOf("generic"),
]);
export const SecretPatch = z.strictObject({
  description: Description.optional(),
  managedBy: ManagedBy.nullable().optional(),
});
/** allowedUpstreams omitted: the list stays as it was. */
export const SecretValuePut = z.strictObject({
  value: z.record(z.string(), z.unknown()),
  allowedUpstreams: AllowedUpstreams.optional(),
});
export const SecretListQuery = ManagedListQuery.extend({
  useCase: UseCase.optional(),
  search: z.string().max(253).optional(),
});

export const Secret = z.object({
  id: Id,
  projectId: Id,
  name: SecretName,
  description: z.string(),
  useCase: UseCase,
  version: z.number().int().min(1),
  allowedUpstreams: z.array(z.string()),
  createdAt: Timestamp,
  createdBy: z.string(),
  updatedAt: Timestamp,
  updatedBy: z.string(),
  managedBy: z.string().nullable(),
});

// ---- leaks -----------------------------------------------------------------

/**
 * A secret-scanning report in GitHub's partner format: what was found, its type, and where.
 * Unknown fields are ignored (the format may grow); sizes are bounded so a report costs little.
 */
export const LeakReportItem = z.object({
  token: z.string().max(1024),
  type: z.string().max(256),
  url: z.string().max(2048).optional(),
  source: z.string().max(256).optional(),
});
export const LeakReport = z.array(LeakReportItem).max(1000);
/** Per reported token: true_positive for a keyplane key that exists, false_positive otherwise. */
export const LeakLabel = z.enum(["true_positive", "false_positive"]);
export const LeakReportAnswer = z.array(z.object({ token_raw: z.string(), token_type: z.string(), label: LeakLabel }));

// ---- audit -----------------------------------------------------------------

export const AuditEvent = z.object({
  id: z.number().int(),
  projectId: z.string().nullable(),
  at: Timestamp,
  principal: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().min(1).optional(),
});

// ---- lists and errors -------------------------------------------------------

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

// ---- gateway (OpenAI-shaped; unknown fields pass through to the upstream) ----

const ModelName = z.string().min(1).max(256);
const Stream = {
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
};
export const ChatMessage = z.looseObject({
  role: z.string().min(1).max(64),
  content: z.union([z.string().max(1_000_000), z.array(z.unknown()), z.null()]),
});
export const ChatCompletionRequest = z.looseObject({
  model: ModelName,
  messages: z.array(ChatMessage).min(1).max(4096),
  ...Stream,
});
export const CompletionRequest = z.looseObject({
  model: ModelName,
  prompt: z.union([z.string(), z.array(z.unknown())]),
  ...Stream,
});
export const EmbeddingRequest = z.looseObject({
  model: ModelName,
  input: z.union([z.string(), z.array(z.unknown()).min(1).max(2048)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
});
/** AMD AI Workbench's route: `messages`, or a plain `input` text (sent upstream as one user message). */
export const InferenceRequest = z.looseObject({
  model: ModelName,
  input: z.unknown().optional(),
  messages: z.array(ChatMessage).max(4096).optional(),
  ...Stream,
});

const Usage = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int().optional(),
  total_tokens: z.number().int(),
});
export const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal("assistant"), content: z.string() }),
      finish_reason: z.string(),
    }),
  ),
  usage: Usage.optional(),
});
export const Completion = z.looseObject({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string() })),
  usage: Usage.optional(),
});
export const EmbeddingList = z.looseObject({
  object: z.literal("list"),
  model: z.string(),
  data: z.array(
    z.object({
      object: z.literal("embedding"),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: Usage.optional(),
});
export const ModelList = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({ id: z.string(), object: z.literal("model"), created: z.number().int(), owned_by: z.string() }),
  ),
});

export const Health = z.object({ status: z.string() });
