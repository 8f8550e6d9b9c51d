// Ways to get a long-lived or over-privileged key past the policy pack, with compliant
// neighbours. The unit tests run the pure functions over this table and the end-to-end test
// declares every row as an ApiKey in one Pulumi program and runs the real CLI over it.
import type { KeyProps } from "../../policy-pack/policies/keyplane-resources";

const DAY = 86400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The pack's scope config in both tests: a resource name, and a URN pattern for the e2e stack. */
export const allowedProjectScopeResources = ["platform-admin", "urn:pulumi:e2e::*::*keyplane:ApiKey::ops-*"];

export interface Evasion {
  /** The Pulumi resource name. */
  resource: string;
  what: string;
  props: (now: number) => KeyProps;
  /** Fields the e2e program delivers through another resource's output: unknown at preview, known at `up`. */
  atUp?: (keyof KeyProps)[];
  /** The policy that must refuse it; none: a compliant neighbour. */
  refusedBy?: "keyplane-key-max-ttl" | "keyplane-key-least-privilege-scope" | "keyplane-key-no-all-deployments";
  lifetime?: { message?: RegExp; clamp?: Partial<Record<"ttl" | "expiresAt" | "explicitMaxTtl", string | undefined>> };
  scope?: { allowed: string[]; refused: boolean };
  allDeployments?: boolean;
}

const MAX_TTL = "keyplane-key-max-ttl";
const clampTtl = { ttl: "90d" };

export const evasions: Evasion[] = [
  {
    resource: "renewal-past-limit",
    what: "ttl within the limit, but renewable until a year",
    props: () => ({ ttl: "30d", renewable: true, explicitMaxTtl: "365d" }),
    refusedBy: MAX_TTL,
    lifetime: {
      message: /can live longer than 90d \(explicitMaxTtl 365d\)\. Set explicitMaxTtl: "90d" or shorter/,
      clamp: { explicitMaxTtl: "90d" },
    },
  },
  {
    resource: "renewable-no-cap",
    what: "renewable without explicitMaxTtl",
    props: () => ({ ttl: "30d", renewable: true }),
    refusedBy: MAX_TTL,
    lifetime: {
      message: /renewable without explicitMaxTtl, so renewals can keep it alive forever\)\. Set explicitMaxTtl: "90d"/,
      clamp: { explicitMaxTtl: "90d" },
    },
  },
  {
    resource: "renewable-cap-zero",
    what: 'renewable with explicitMaxTtl "0" (no cap) and a ttl past the limit',
    props: () => ({ ttl: "100d", renewable: true, explicitMaxTtl: "0" }),
    refusedBy: MAX_TTL,
    lifetime: { message: /explicitMaxTtl "0" \(no cap\)/, clamp: { explicitMaxTtl: "90d", ttl: "90d" } },
  },
  {
    resource: "ttl-hours-over",
    what: "ttl in hours, one hour over 90d",
    props: () => ({ ttl: "2161h" }),
    refusedBy: MAX_TTL,
    lifetime: { message: /\(ttl 2161h\)\. Set ttl: "90d" or shorter/, clamp: clampTtl },
  },
  {
    resource: "far-expires-at",
    what: "expiresAt 400 days out",
    props: (now) => ({ expiresAt: iso(now + 400 * DAY) }),
    refusedBy: MAX_TTL,
    lifetime: {
      message: /\(expiresAt \d{4}-.*\)\. Set expiresAt no later than \d{4}-.*, or ttl: "90d" or shorter/,
      clamp: { expiresAt: undefined, ttl: "90d" },
    },
  },
  {
    resource: "ttl-zero",
    what: 'ttl "0" (never expires)',
    props: () => ({ ttl: "0" }),
    refusedBy: MAX_TTL,
    lifetime: { message: /ttl "0", so it never expires/, clamp: clampTtl },
  },
  {
    resource: "uses-no-lifetime",
    what: "numUses without a lifetime",
    props: () => ({ numUses: 1000 }),
    refusedBy: MAX_TTL,
    lifetime: { message: /never expires; numUses limits calls, not time/, clamp: clampTtl },
  },
  {
    resource: "ttl-and-cap-over",
    what: "not renewable, ttl and explicitMaxTtl both past the limit",
    props: () => ({ ttl: "400d", explicitMaxTtl: "365d" }),
    refusedBy: MAX_TTL,
    lifetime: { message: /\(ttl 400d\)/, clamp: { ttl: "90d", explicitMaxTtl: "90d" } },
  },
  { resource: "ok-30d", what: "ttl 30d", props: () => ({ ttl: "30d" }), lifetime: {} },
  { resource: "ok-2160h", what: "ttl exactly 90d, in hours", props: () => ({ ttl: "2160h" }), lifetime: {} },
  {
    resource: "ok-renewable-capped",
    what: "renewable, capped at 90d",
    props: () => ({ ttl: "7d", renewable: true, explicitMaxTtl: "90d" }),
    lifetime: {},
  },
  {
    resource: "ok-cap-bounds-it",
    what: 'ttl "0" but explicitMaxTtl 60d ends it',
    props: () => ({ ttl: "0", explicitMaxTtl: "60d" }),
    lifetime: {},
  },
  {
    resource: "ok-near-expires-at",
    what: "expiresAt 10 days out",
    props: (now) => ({ expiresAt: iso(now + 10 * DAY) }),
    lifetime: {},
  },
  {
    resource: "sneaky-admin",
    what: 'scope "project" under an allowed display name',
    props: () => ({ name: "platform-admin", ttl: "30d", scope: "project" }),
    refusedBy: "keyplane-key-least-privilege-scope",
    scope: { allowed: allowedProjectScopeResources, refused: true },
  },
  {
    resource: "platform-admin",
    what: 'scope "project", allowed by resource name',
    props: () => ({ ttl: "30d", scope: "project" }),
    scope: { allowed: allowedProjectScopeResources, refused: false },
  },
  {
    resource: "ops-deploy",
    what: 'scope "project", allowed by URN pattern',
    props: () => ({ ttl: "30d", scope: "project" }),
    scope: { allowed: allowedProjectScopeResources, refused: false },
  },
  {
    resource: "all-deployments",
    what: 'deploymentAccess "all"',
    props: () => ({ ttl: "30d", deploymentAccess: "all" }),
    refusedBy: "keyplane-key-no-all-deployments",
    allDeployments: true,
  },
  {
    resource: "ttl-at-up",
    what: "ttl 400d known only at up",
    props: () => ({ ttl: "400d" }),
    atUp: ["ttl"],
    refusedBy: MAX_TTL,
    lifetime: { message: /\(ttl 400d\)/, clamp: clampTtl },
  },
  {
    resource: "cap-at-up",
    what: "renewable, explicitMaxTtl 365d known only at up",
    props: () => ({ ttl: "30d", renewable: true, explicitMaxTtl: "365d" }),
    atUp: ["explicitMaxTtl"],
    refusedBy: MAX_TTL,
    lifetime: { message: /explicitMaxTtl 365d/, clamp: { explicitMaxTtl: "90d" } },
  },
  {
    resource: "expires-at-up",
    what: "expiresAt 400 days out known only at up",
    props: (now) => ({ expiresAt: iso(now + 400 * DAY) }),
    atUp: ["expiresAt"],
    refusedBy: MAX_TTL,
    lifetime: { message: /expiresAt/, clamp: { expiresAt: undefined, ttl: "90d" } },
  },
  {
    resource: "ok-ttl-at-up",
    what: "ttl 30d known only at up",
    props: () => ({ ttl: "30d" }),
    atUp: ["ttl"],
    lifetime: {},
  },
];
