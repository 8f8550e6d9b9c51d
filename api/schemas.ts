import { z } from "zod";
import { parseDuration } from "./duration";

// ---- building blocks -------------------------------------------------------

export const Slug = z.string().regex(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/, "must be 2-63 characters of a-z, 0-9 and '-', start with a letter and end with a letter or digit");

export const KeyName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,127}$/, "must be 1-128 characters of letters, digits, space, '.', '_', ':' or '-', starting with a letter or digit");

export const SecretName = z.string().regex(/^[a-z][a-z0-9-]{0,251}[a-z0-9]$/, "must be 2-253 characters of a-z, 0-9 and '-', start with a letter and end with a letter or digit");

export const Description = z.string().max(1024);

export const Duration = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 90s, 15m, 24h, 30d or 1h30m, or "0" for none');

export const Timestamp = z.iso.datetime({ offset: true });

/** An expiry: a timestamp, or a date alone meaning 00:00 UTC that day (as Gcore's keys take it). */
export const ExpiryTime = z.union([Timestamp, z.iso.date()], { error: "must be an ISO 8601 timestamp or a date (YYYY-MM-DD, 00:00 UTC)" });

export const Labels = z
  .record(z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/, "label keys are 1-63 characters of letters, digits, '.', '_', '/', '-'"), z.string().max(256))
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

const UpstreamUrl = z.url({ protocol: /^https?$/ }).max(2048);
export const DeploymentCreate = z.strictObject({
  name: Slug,
  model: z.string().min(1).max(256),
  status: DeploymentStatus.optional(),
  upstreamUrl: UpstreamUrl.optional(),
});
export const DeploymentPatch = z.strictObject({
  model: z.string().min(1).max(256).optional(),
  status: DeploymentStatus.optional(),
  upstreamUrl: UpstreamUrl.nullable().optional(),
});
export const Deployment = z.object({
  id: Id,
  projectId: Id,
  name: Slug,
  model: z.string(),
  status: DeploymentStatus,
  upstreamUrl: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// ---- api keys --------------------------------------------------------------

const NumUses = z.number().int().min(0).max(1_000_000_000);

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
  })
  .refine((k) => !(k.ttl !== undefined && k.expiresAt !== undefined), {
    path: ["expiresAt"],
    message: "set ttl or expiresAt, not both",
  });

export const ApiKeyRenew = z.strictObject({ increment: Duration.optional() });

export const ApiKeyStatus = z.enum(["active", "expired", "exhausted", "revoked"]);

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
  /** The last change to the key or its bindings. */
  updatedAt: Timestamp,
  /** How many deployments the key is bound to. */
  deploymentCount: z.number().int().min(0),
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
    .record(z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, "keys are 1-253 characters of letters, digits, '-', '_', '.'"), z.string().max(65536))
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
  });

export const SecretCreate = z.discriminatedUnion("useCase", [secretCreateOf("huggingface"), secretCreateOf("s3"), secretCreateOf("image-pull"), secretCreateOf("generic")]);
export const SecretValuePut = z.strictObject({ value: z.record(z.string(), z.unknown()) });
export const SecretListQuery = z.strictObject({ useCase: UseCase.optional(), search: z.string().max(253).optional() });

export const Secret = z.object({
  id: Id,
  projectId: Id,
  name: SecretName,
  description: z.string(),
  useCase: UseCase,
  version: z.number().int().min(1),
  createdAt: Timestamp,
  createdBy: z.string(),
  updatedAt: Timestamp,
  updatedBy: z.string(),
});

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

// ---- gateway ---------------------------------------------------------------

export const ChatMessage = z.looseObject({
  role: z.string().min(1).max(64),
  content: z.union([z.string().max(1_000_000), z.array(z.unknown()), z.null()]),
});
export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(ChatMessage).min(1).max(4096),
});
export const InferenceRequest = z.looseObject({
  model: z.string().min(1).max(256),
  input: z.unknown().optional(),
  messages: z.array(ChatMessage).max(4096).optional(),
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
});

export const Health = z.object({ status: z.string() });
