import { parseDuration, schemas as s } from "@keyplane/api";
import { z } from "zod";

// What each resource accepts in a Pulumi program: the api/ building blocks, plus the
// Pulumi-only fields (project ids, renewBefore, rotationTrigger). One schema per kind,
// used by `check` to name bad fields before any API call, and the source of the SDK's
// argument types: the TSDoc on each field is what a program's editor shows. Each shape is
// a const of its own, and each schema is declared with its type, so the declaration files
// keep that TSDoc (a type the compiler writes out by itself drops it).

type Strict<Shape extends z.core.$ZodLooseShape> = z.ZodObject<Shape, z.core.$strict>;

const ProjectRef = z.string().min(1, "is required: pass a keyplane.Project's id");
/** The owning resource, `pulumi:<stack>:<urn>`, set by the SDK (not by the program). */
const ManagedBy = z.string().min(1).max(2048).optional();

const project = {
  /** Project slug: 2-63 characters of a-z, 0-9 and '-'. Defaults to the resource name. Changing it replaces the project. */
  name: s.Slug,
  /** Free text shown in the server's listings. Updated in place. */
  description: s.Description.optional(),
  managedBy: ManagedBy,
};
export const ProjectInputs: Strict<typeof project> = z.strictObject(project);

const deployment = {
  /** The project's id (`project.id`). Changing it replaces the deployment. */
  project: ProjectRef,
  /** Deployment slug, unique in the project; gateway callers send it as `model`. Defaults to the resource name. Changing it replaces. */
  name: s.Slug,
  /** The model served, e.g. "meta-llama/Llama-3-8B". Updated in place. */
  model: z.string().min(1).max(256),
  /** "running" (default) or "stopped"; a stopped deployment answers 403 deployment_not_running. Updated in place. */
  status: s.DeploymentStatus.optional(),
  /**
   * Base URL of an OpenAI-compatible server (http/https, e.g. "http://vllm:8000/v1"): `/v1/<route>` goes to
   * `<upstreamUrl>/<route>`. Unset: the reference echo model answers. Updated in place.
   */
  upstreamUrl: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * A `keyplane.Secret`'s id (`secret.id`) in the same project whose token the gateway sends upstream as
   * `Authorization: Bearer …`: a huggingface secret's `token`, or a generic secret's `data.token`. Callers never hold it.
   * The secret's `allowedUpstreams` must list `upstreamUrl`'s origin, or the server refuses the deployment (naming `upstreamUrl`).
   * Updated in place.
   */
  upstreamSecret: s.UpstreamSecret.optional(),
  managedBy: ManagedBy,
};
export const DeploymentInputs: Strict<typeof deployment> = z.strictObject(deployment);

const apiKey = {
  /** The project's id (`project.id`). Changing it replaces the key. */
  project: ProjectRef,
  /** Display name (not unique). Defaults to the resource name. Updated in place. */
  name: s.KeyName,
  /** Free text. Updated in place. */
  description: s.Description.optional(),
  /** String labels for workload and cost attribution, e.g. `{ team: "search", purpose: "ci" }`. Updated in place. */
  labels: s.Labels.optional(),
  /** "inference" (default): call deployments. "project": also manage this project. Changing it replaces the key. */
  scope: s.Scope.optional(),
  /** "bound" (default): only deployments bound with a DeploymentBinding (none bound: no access). "all": every deployment of the project. Replaces. */
  deploymentAccess: s.DeploymentAccess.optional(),
  /** Lifetime from creation, e.g. "24h", "30d", "1h30m"; "0" never expires. Not with expiresAt. Changing it moves the expiry in place. */
  ttl: s.Duration.optional(),
  /** Absolute expiry, ISO 8601. Not with ttl. Updated in place. */
  expiresAt: s.Timestamp.optional(),
  /** Whether the key may be renewed (default false). Replaces. */
  renewable: z.boolean().optional(),
  /** Renewal never passes creation + this duration, e.g. "90d". Replaces. */
  explicitMaxTtl: s.Duration.optional(),
  /** Gateway calls the key may make; 0 (default) is unlimited. Replaces. */
  numUses: z.number().int().min(0, "must be 0 (unlimited) or more").max(1_000_000_000).optional(),
  /** With renewable: when the key is this close to expiry, `pulumi up` renews it in place (or replaces it at its explicitMaxTtl). */
  renewBefore: s.Duration.optional(),
  /** Any string; changing it rotates the key: a new key is created before the old one is revoked. */
  rotationTrigger: z.string().max(1024).optional(),
  /** false: the gateway refuses the key (401 disabled_key) until it is true again. Default true. Updated in place. */
  enabled: z.boolean().optional(),
  /** At most `limit` gateway calls per `window` ("1s" to "24h"), e.g. `{ limit: 600, window: "1m" }`; more get 429 rate_limited. Updated in place. */
  rateLimit: s.RateLimit.optional(),
  /** IPv4/IPv6 CIDRs the key may be used from, e.g. `["10.0.0.0/8"]`; others get 403 ip_not_allowed. Empty or unset: anywhere. Updated in place. */
  allowedCidrs: s.AllowedCidrs.optional(),
  /**
   * When the key is replaced (rotation) or destroyed, it keeps working this long (e.g. "1h"), then
   * expires, so consumers outside the program can switch over. At most the key's remaining lifetime.
   * Updated in place.
   */
  rotationGracePeriod: s.Duration.optional(),
  /**
   * Take over an existing key (made in the console or by the API) instead of creating one:
   * the resource then manages its name, labels, lifetime and bindings, and destroy revokes it.
   * The key's secret was shown once to whoever made it, so this resource's `secret` is empty.
   * (Pulumi's `import` option cannot work for dynamic resources.) Its scope, deploymentAccess,
   * numUses, renewable and explicitMaxTtl must match the program's.
   */
  adoptKeyId: s.Id.optional(),
  managedBy: ManagedBy,
};
export const ApiKeyInputs: Strict<typeof apiKey> = z
  .strictObject(apiKey)
  .refine((k) => !(k.ttl !== undefined && k.expiresAt !== undefined), {
    path: ["expiresAt"],
    message: "set ttl or expiresAt, not both",
  })
  // The server refuses a grace past the key's remaining lifetime; a grace past its whole ttl never fits.
  .refine(
    (k) =>
      !(
        k.ttl &&
        k.rotationGracePeriod &&
        (parseDuration(k.ttl) ?? 0) > 0 &&
        (parseDuration(k.rotationGracePeriod) ?? 0) > (parseDuration(k.ttl) ?? 0)
      ),
    {
      path: ["rotationGracePeriod"],
      message: "is longer than the key's ttl",
    },
  )
  .refine((k) => k.renewBefore === undefined || k.renewable === true, {
    path: ["renewBefore"],
    message: "needs renewable: true",
  });

const binding = {
  /** The project's id; key and deployment must both belong to it. */
  project: ProjectRef,
  /** The key's id (`apiKey.keyId`). A rotated key gets a new binding before the old one goes. */
  apiKey: z.string().min(1, "is required: pass a keyplane.ApiKey's keyId"),
  /** The deployment's id (`deployment.id`). */
  deployment: z.string().min(1, "is required: pass a keyplane.Deployment's id"),
};
export const BindingInputs: Strict<typeof binding> = z.strictObject(binding);

/** A secret's value in one of the shapes the api fixes per use case (SECRET_VALUE_SCHEMAS). */
type SecretValue = z.input<(typeof s.SECRET_VALUE_SCHEMAS)[keyof typeof s.SECRET_VALUE_SCHEMAS]>;

const secret = {
  /** The project's id. Changing it replaces the secret. */
  project: ProjectRef,
  /** 2-253 characters of a-z, 0-9 and '-', starting with a letter. Defaults to the resource name. Replaces. */
  name: s.SecretName,
  /** Free text. Updated in place. */
  description: s.Description.optional(),
  /** What the value is for; fixes its shape. Replaces. */
  useCase: s.UseCase,
  /**
   * huggingface `{token}`; s3 `{accessKeyId, secretAccessKey, region?, endpoint?}`; image-pull
   * `{dockerConfigJson}` or `{registry, username, password}`; generic `{data: {...}}`.
   * Stored encrypted by the server and never returned. A new value is an in-place update (a new version).
   */
  value: z.custom<SecretValue>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be an object"), // its use case's shape: checked below
  /**
   * The upstream origins the gateway may send this value to as a Deployment's `upstreamSecret`
   * (e.g. `["https://api-inference.huggingface.co", "http://vllm.models.svc:8000"]`; `"*"`: any origin
   * the server's egress policy allows). Unset or empty: nowhere. Set with the value: a change is a
   * new version, as a new value is. A Deployment may name the secret only while its `upstreamUrl`'s
   * origin is listed.
   */
  allowedUpstreams: s.AllowedUpstreams.optional(),
  managedBy: ManagedBy,
};
export const SecretInputs: Strict<typeof secret> = z.strictObject(secret).superRefine((secret, ctx) => {
  const shape = s.SECRET_VALUE_SCHEMAS[secret.useCase]?.safeParse(secret.value);
  if (shape && !shape.success) {
    for (const issue of shape.error.issues)
      ctx.addIssue({ code: "custom", path: ["value", ...issue.path.map(String)], message: issue.message });
  }
});
