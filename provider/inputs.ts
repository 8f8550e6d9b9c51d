import { z } from "zod";
import { parseDuration, schemas as s } from "@keyplane/api";

// What each resource accepts in a Pulumi program: the api/ building blocks, plus the
// Pulumi-only fields (project ids, renewBefore, rotationTrigger). One schema per kind,
// used by `check` to name bad fields before any API call.

const ProjectRef = z.string().min(1, "is required: pass a keyplane.Project's id");
/** The owning resource, `pulumi:<stack>:<urn>`, set by the SDK (not by the program). */
const ManagedBy = z.string().min(1).max(2048).optional();

export const ProjectInputs = z.strictObject({ name: s.Slug, description: s.Description.optional(), managedBy: ManagedBy });

export const DeploymentInputs = z.strictObject({
  project: ProjectRef,
  name: s.Slug,
  model: z.string().min(1).max(256),
  status: s.DeploymentStatus.optional(),
  upstreamUrl: z.url({ protocol: /^https?$/ }).optional(),
  upstreamSecret: s.UpstreamSecret.optional(),
  managedBy: ManagedBy,
});

export const ApiKeyInputs = z
  .strictObject({
    project: ProjectRef,
    name: s.KeyName,
    description: s.Description.optional(),
    labels: s.Labels.optional(),
    scope: s.Scope.optional(),
    deploymentAccess: s.DeploymentAccess.optional(),
    ttl: s.Duration.optional(),
    expiresAt: s.Timestamp.optional(),
    renewable: z.boolean().optional(),
    explicitMaxTtl: s.Duration.optional(),
    numUses: z.number().int().min(0, "must be 0 (unlimited) or more").max(1_000_000_000).optional(),
    renewBefore: s.Duration.optional(),
    rotationTrigger: z.string().max(1024).optional(),
    enabled: z.boolean().optional(),
    rateLimit: s.RateLimit.optional(),
    allowedCidrs: s.AllowedCidrs.optional(),
    rotationGracePeriod: s.Duration.optional(),
    adoptKeyId: s.Id.optional(),
    managedBy: ManagedBy,
  })
  .refine((k) => !(k.ttl !== undefined && k.expiresAt !== undefined), { path: ["expiresAt"], message: "set ttl or expiresAt, not both" })
  // The server refuses a grace past the key's remaining lifetime; a grace past its whole ttl never fits.
  .refine((k) => !(k.ttl && k.rotationGracePeriod && (parseDuration(k.ttl) ?? 0) > 0 && (parseDuration(k.rotationGracePeriod) ?? 0) > (parseDuration(k.ttl) ?? 0)), {
    path: ["rotationGracePeriod"],
    message: "is longer than the key's ttl",
  })
  .refine((k) => k.renewBefore === undefined || k.renewable === true, { path: ["renewBefore"], message: "needs renewable: true" });

export const BindingInputs = z.strictObject({
  project: ProjectRef,
  apiKey: z.string().min(1, "is required: pass a keyplane.ApiKey's keyId"),
  deployment: z.string().min(1, "is required: pass a keyplane.Deployment's id"),
});

export const SecretInputs = z
  .strictObject({
    project: ProjectRef,
    name: s.SecretName,
    description: s.Description.optional(),
    useCase: s.UseCase,
    value: z.record(z.string(), z.unknown()),
    allowedUpstreams: s.AllowedUpstreams.optional(),
    managedBy: ManagedBy,
  })
  .superRefine((secret, ctx) => {
    const shape = s.SECRET_VALUE_SCHEMAS[secret.useCase]?.safeParse(secret.value);
    if (shape && !shape.success) {
      for (const issue of shape.error.issues) ctx.addIssue({ code: "custom", path: ["value", ...issue.path.map(String)], message: issue.message });
    }
  });
