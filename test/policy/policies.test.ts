import { strict as assert } from "node:assert";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { bindingSameProject, checkBindingsSameProject, checkKeysBound, keyMustBeBound } from "../../policy-pack/policies/bindings";
import { checkKeyMaxTtl, clampKeyLifetime, keyMaxTtl } from "../../policy-pack/policies/key-max-ttl";
import { checkKeyRateLimit, keyRateLimit } from "../../policy-pack/policies/key-rate-limit";
import { allowedResource, checkAllDeployments, checkProjectScope, keyLeastPrivilegeScope, keyNoAllDeployments } from "../../policy-pack/policies/key-scope";
import type { KeyProps } from "../../policy-pack/policies/keyplane-resources";
import { checkRotationGrace, rotationGraceMax } from "../../policy-pack/policies/rotation-grace-max";
import { checkNoLeakedKeys, noLeakedKeys } from "../../policy-pack/policies/no-leaked-keys";
import { checkSecretUseCase, secretUseCase } from "../../policy-pack/policies/secret-use-case";
import { checkSecretUpstreamsPinned, secretUpstreamsPinned } from "../../policy-pack/policies/secret-upstreams-pinned";
import { checkUsageLimit, usageLimitForLabelledKeys } from "../../policy-pack/policies/usage-limit";
import { evasions, type Evasion } from "./evasions";

// @pulumi/policy's own proxy, as the engine hands props to policies: reading a value not
// known at preview throws its UnknownValueError.
const { unknownCheckingProxy, unknownStringValue, unknownBooleanValue } = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy: <T extends object>(o: T) => T;
  unknownStringValue: string;
  unknownBooleanValue: boolean;
};
const UNKNOWN = () => unknownStringValue as any;

type Kind = { __pulumiType: string };
const isType = (type: string) => (c: Kind) => c.__pulumiType === type;

/** The config the engine passes: the policy's configSchema defaults, overridden by the given settings. */
function configOf(policy: ResourceValidationPolicy | StackValidationPolicy, config: object) {
  const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]));
  return { ...defaults, ...config };
}

/** Runs a resource policy as the engine would (typed helpers and all), without the pack's gRPC server. */
function runResource(policy: ResourceValidationPolicy, kind: Kind, props: object, config: object = {}, name = "r") {
  const violations: string[] = [];
  const args: any = {
    type: kind.__pulumiType,
    props,
    urn: `urn:pulumi:s::p::${kind.__pulumiType}::${name}`,
    name,
    getConfig: () => configOf(policy, config),
    isType: isType(kind.__pulumiType),
  };
  args.notApplicable = (why: string) => {
    throw new Error(`not applicable: ${why}`);
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const v of validations) v(args, (m: string) => violations.push(m));
  return violations;
}
function runStack(policy: StackValidationPolicy, resources: PolicyResource[], config: object = {}) {
  const violations: { message: string; urn?: string }[] = [];
  policy.validateStack!({ resources, getConfig: () => configOf(policy, config) } as any, (message, urn) => violations.push({ message, urn }));
  return violations;
}
const res = (kind: Kind, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, PolicyResource[]> = {}): PolicyResource =>
  ({
    type: kind.__pulumiType,
    name,
    urn: `urn:pulumi:s::p::${kind.__pulumiType}::${name}`,
    props,
    propertyDependencies,
    dependencies: Object.values(propertyDependencies).flat(),
    isType: isType(kind.__pulumiType),
  }) as any;

describe("policies as pure functions", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const limit = { maxTtl: "90d" };

  describe("keyplane-key-max-ttl judges the longest a key can live (the evasion table)", () => {
    const lifetimeCases = evasions.filter((e): e is Evasion & { lifetime: NonNullable<Evasion["lifetime"]> } => e.lifetime !== undefined);
    for (const e of lifetimeCases) {
      it(`${e.resource}: ${e.what}`, () => {
        const props = e.props(now);
        const messages = checkKeyMaxTtl(props, e.resource, limit, now);
        if (e.lifetime.message) {
          assert.equal(messages.length, 1, JSON.stringify(messages));
          assert.match(messages[0], e.lifetime.message);
        } else assert.deepEqual(messages, []);
        assert.deepEqual(clampKeyLifetime(props, limit, now), e.lifetime.clamp);
        if (e.lifetime.clamp) {
          const clamped: KeyProps = { ...props, ...e.lifetime.clamp };
          if (e.lifetime.clamp.expiresAt === undefined) delete clamped.expiresAt;
          assert.deepEqual(checkKeyMaxTtl(clamped, e.resource, limit, now), [], "the clamped key complies");
        }
      });
    }

    it("config lowers the limit; a bad limit is a config error; malformed values are left to the provider's check", () => {
      assert.equal(checkKeyMaxTtl({ ttl: "30d" }, "k", { maxTtl: "7d" }, now).length, 1);
      assert.match(checkKeyMaxTtl({ expiresAt: "2027-01-01T00:00:00Z" }, "k", limit, now)[0], /no later than 2026-04-01T00:00:00\.000Z/, "now + 90d");
      assert.throws(() => checkKeyMaxTtl({ ttl: "1d" }, "k", { maxTtl: "ninety" }), /maxTtl/);
      assert.deepEqual(checkKeyMaxTtl({ ttl: "1y" }, "k", limit, now), []);
      assert.deepEqual(checkKeyMaxTtl({ renewable: true, explicitMaxTtl: "1y" }, "k", limit, now), []);
    });

    it("a value unknown at preview is not guessed: the engine's unknown error surfaces unless the known values decide", () => {
      assert.throws(() => checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN() }), "k", limit, now), /ttl can't be known during preview/);
      assert.throws(() => checkKeyMaxTtl(unknownCheckingProxy({ renewable: true, explicitMaxTtl: UNKNOWN() }), "k", limit, now), /explicitMaxTtl/);
      // Known values that decide: an explicit cap within the limit, or a renewable key with no cap.
      assert.deepEqual(checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN(), explicitMaxTtl: "30d" }), "k", limit, now), []);
      assert.match(checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN(), renewable: true }), "k", limit, now)[0], /renewable without explicitMaxTtl/);
    });

    it("the policy matches ApiKeys only, reads defaults from its configSchema, and remediates in place", () => {
      assert.equal(runResource(keyMaxTtl, keyplane.ApiKey, { ttl: "2161h" }).length, 1, "default maxTtl 90d");
      assert.equal(runResource(keyMaxTtl, keyplane.ApiKey, { ttl: "100d" }, { maxTtl: "365d" }).length, 0);
      assert.throws(
        () => runResource(keyMaxTtl, keyplane.Secret, { ttl: "100d" }),
        /not applicable: Policy only applies to resources of type 'pulumi-nodejs:dynamic\/keyplane:ApiKey'/,
      );
      assert.equal((keyMaxTtl.validateResource as any).__pulumiType, keyplane.ApiKey.__pulumiType, "the engine filters by the SDK class's type token");
      // Remediation changes only the lifetime fields and leaves values it never read, unknown ones included.
      const props = unknownCheckingProxy({ project: UNKNOWN(), name: "k", expiresAt: "2030-01-01T00:00:00Z", renewable: true });
      const args: any = { type: keyplane.ApiKey.__pulumiType, props, getConfig: () => configOf(keyMaxTtl, {}), isType: isType(keyplane.ApiKey.__pulumiType) };
      const out = keyMaxTtl.remediateResource!(args) as any;
      const target = out.__getSpecialProxyTarget;
      assert.deepEqual({ ...target }, { project: unknownStringValue, name: "k", renewable: true, ttl: "90d", explicitMaxTtl: "90d" });
      assert.equal(keyMaxTtl.remediateResource!({ ...args, props: { ttl: "1d" } }), undefined, "compliant keys are left alone");
    });
  });

  describe("keyplane-key-least-privilege-scope allows project scope by resource, not display name", () => {
    const urn = (stack: string, name: string) => `urn:pulumi:${stack}::infra::${keyplane.ApiKey.__pulumiType}::${name}`;
    for (const e of evasions.filter((x) => x.scope !== undefined)) {
      it(`${e.resource}: ${e.what}`, () => {
        const messages = checkProjectScope(e.props(now), { name: e.resource, urn: urn("e2e", e.resource) }, { allowedProjectScopeResources: e.scope!.allowed });
        assert.equal(messages.length, e.scope!.refused ? 1 : 0, JSON.stringify(messages));
        if (e.scope!.refused) assert.match(messages[0], /scope "project".*allowedProjectScopeResources.*display name does not count/);
      });
    }
    it("patterns: a bare pattern matches the resource name, a urn: pattern the URN, with * and ? wildcards", () => {
      const ops = { name: "ops-deploy", urn: urn("e2e", "ops-deploy") };
      assert.ok(allowedResource(["ops-*"], ops));
      assert.ok(allowedResource(["ops-deplo?"], ops));
      assert.ok(allowedResource(["urn:pulumi:e2e::*::*keyplane:ApiKey::ops-*"], ops));
      assert.ok(!allowedResource(["urn:pulumi:e2e::*::*keyplane:ApiKey::ops-*"], { name: "ops-deploy", urn: urn("dev", "ops-deploy") }), "another stack");
      assert.ok(!allowedResource(["ops"], ops), "whole-name match");
      assert.ok(!allowedResource(["ops.deploy"], ops), "dots are literal");
      assert.ok(!allowedResource([], ops));
      assert.equal(runResource(keyLeastPrivilegeScope, keyplane.ApiKey, { name: "ops", scope: "project" }, { allowedProjectScopeResources: ["ops"] }, "other").length, 1);
      assert.equal(runResource(keyLeastPrivilegeScope, keyplane.ApiKey, { name: "x", scope: "project" }, { allowedProjectScopeResources: ["ops"] }, "ops").length, 0);
      assert.equal(runResource(keyLeastPrivilegeScope, keyplane.ApiKey, { scope: "project" }).length, 1, "default: nothing allowed");
    });
  });

  it("keyplane-key-no-all-deployments", () => {
    for (const e of evasions.filter((x) => x.allDeployments !== undefined)) assert.equal(checkAllDeployments(e.props(now), e.resource).length, e.allDeployments ? 1 : 0, e.what);
    assert.match(checkAllDeployments({ deploymentAccess: "all" }, "k")[0], /deploymentAccess "all"/);
    assert.equal(runResource(keyNoAllDeployments, keyplane.ApiKey, { deploymentAccess: "all" }).length, 1);
  });

  it("keyplane-usage-limit-for-labelled-keys, with a configurable label", () => {
    assert.match(checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "purpose", labelValue: "ci" })[0], /numUses/);
    assert.deepEqual(checkUsageLimit({ labels: { purpose: "ci" }, numUses: 100 }, "k", { labelKey: "purpose", labelValue: "ci" }), []);
    assert.deepEqual(checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "kind", labelValue: "batch" }), []);
    assert.equal(checkUsageLimit({ labels: { kind: "batch" } }, "k", { labelKey: "kind", labelValue: "batch" }).length, 1);
    assert.equal(runResource(usageLimitForLabelledKeys, keyplane.ApiKey, { labels: { purpose: "ci" } }).length, 1, "defaults from configSchema");
  });

  it("keyplane-secret-use-case is advisory and spots known shapes", () => {
    assert.equal(secretUseCase.enforcementLevel, "advisory");
    assert.match(checkSecretUseCase({ useCase: "generic", value: { data: { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" } } }, "s")[0], /useCase "s3"/);
    assert.match(checkSecretUseCase({ useCase: "generic", value: { data: { HF_TOKEN: "x" } } }, "s")[0], /huggingface/);
    assert.deepEqual(checkSecretUseCase({ useCase: "generic", value: { data: { DB_URL: "x" } } }, "s"), []);
    assert.deepEqual(checkSecretUseCase({ useCase: "s3", value: {} }, "s"), []);
    assert.equal(runResource(secretUseCase, keyplane.Secret, { useCase: "generic", value: { data: { ".dockerconfigjson": "{}" } } }).length, 1);
  });

  it("keyplane-secret-upstreams-pinned is mandatory and refuses a wildcard on secrets a deployment can send upstream", () => {
    assert.equal(secretUpstreamsPinned.enforcementLevel, "mandatory");
    assert.match(checkSecretUpstreamsPinned({ useCase: "huggingface", allowedUpstreams: ["*"] }, "hf")[0], /Secret hf may be sent to any upstream/);
    assert.equal(checkSecretUpstreamsPinned({ useCase: "generic", allowedUpstreams: ["https://a.example", "*"] }, "g").length, 1);
    assert.deepEqual(checkSecretUpstreamsPinned({ useCase: "huggingface", allowedUpstreams: ["https://api-inference.huggingface.co"] }, "hf"), []);
    assert.deepEqual(checkSecretUpstreamsPinned({ useCase: "huggingface" }, "hf"), [], "unset: sent nowhere, which is pinned");
    assert.deepEqual(checkSecretUpstreamsPinned({ useCase: "s3", allowedUpstreams: ["*"] }, "s"), [], "never sent upstream");
  });

  it("keyplane-key-must-be-bound and keyplane-binding-same-project (stack policies)", () => {
    const p1 = res(keyplane.Project, "p1", { id: "prj_1" });
    const p2 = res(keyplane.Project, "p2", { id: "prj_2" });
    const bound = res(keyplane.ApiKey, "bound", { name: "bound" }, { project: [p1] });
    const lonely = res(keyplane.ApiKey, "lonely", { name: "lonely" }, { project: [p1] });
    const admin = res(keyplane.ApiKey, "admin", { scope: "project" }, { project: [p1] });
    const d1 = res(keyplane.Deployment, "d1", {}, { project: [p1] });
    const d2 = res(keyplane.Deployment, "d2", {}, { project: [p2] });
    const ok = res(keyplane.DeploymentBinding, "ok", {}, { project: [p1], apiKey: [bound], deployment: [d1] });
    const cross = res(keyplane.DeploymentBinding, "cross", {}, { project: [p1], apiKey: [bound], deployment: [d2] });
    const all = [p1, p2, bound, lonely, admin, d1, d2, ok, cross];
    assert.deepEqual(
      checkKeysBound(all, { maxBindingsPerKey: 10 }).map((v) => v.urn),
      [lonely.urn],
    );
    assert.match(checkKeysBound(all, { maxBindingsPerKey: 1 }).find((v) => v.urn === bound.urn)!.message, /bound to 2 deployments; at most 1/);
    assert.deepEqual(
      checkBindingsSameProject(all).map((v) => v.urn),
      [cross.urn],
    );
    // Matching by literal ids when there are no dependencies (imported or known values).
    const k = res(keyplane.ApiKey, "k", { keyId: "key_1", project: "prj_1" });
    const b = res(keyplane.DeploymentBinding, "b", { apiKey: "key_1", project: "prj_1", deployment: "dep_9" });
    assert.deepEqual(checkKeysBound([k, b], { maxBindingsPerKey: 10 }), []);
    assert.equal(runStack(keyMustBeBound, all).length, 1, "default maxBindingsPerKey from configSchema");
    assert.equal(runStack(keyMustBeBound, all, { maxBindingsPerKey: 1 }).length, 2);
    assert.equal(runStack(bindingSameProject, all).length, 1);
  });
});

describe("limit policies as pure functions", () => {
  it("keyplane-key-rate-limit: inference keys set a rateLimit of at most maxRequestsPerMinute; advisory", () => {
    const cfg = { maxRequestsPerMinute: 600 };
    assert.equal(keyRateLimit.enforcementLevel, "advisory");
    assert.match(checkKeyRateLimit({}, "k", cfg)[0], /Inference ApiKey k has no rateLimit.*600/);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: 600, window: "1m" } }, "k", cfg), []);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: 36000, window: "1h" } }, "k", cfg), [], "600 a minute, over an hour");
    assert.match(checkKeyRateLimit({ rateLimit: { limit: 20, window: "1s" } }, "k", cfg)[0], /20 calls per 1s \(1200 a minute\)/);
    assert.deepEqual(checkKeyRateLimit({ scope: "project" }, "k", cfg), [], "project keys are not judged");
    assert.match(checkKeyRateLimit({ scope: "inference" }, "k", cfg)[0], /no rateLimit/);
    assert.equal(checkKeyRateLimit({ rateLimit: { limit: 100, window: "1m" } }, "k", { maxRequestsPerMinute: 60 }).length, 1, "config lowers it");
    assert.throws(() => checkKeyRateLimit({}, "k", { maxRequestsPerMinute: -1 }), /maxRequestsPerMinute/);
    assert.equal(runResource(keyRateLimit, keyplane.ApiKey, { rateLimit: { limit: 1000, window: "1m" } }).length, 1, "default 600");
    assert.equal(runResource(keyRateLimit, keyplane.ApiKey, { rateLimit: { limit: 1000, window: "1m" } }, { maxRequestsPerMinute: 1000 }).length, 0);
    assert.throws(() => runResource(keyRateLimit, keyplane.Secret, {}), /not applicable/, "other kinds are not judged");
    assert.throws(() => runResource(keyRateLimit, keyplane.ApiKey, unknownCheckingProxy({ rateLimit: UNKNOWN() })), /unknown|not known|preview/i, "unknown at preview: not judged");
  });

  it("keyplane-rotation-grace-max: rotationGracePeriod at most maxGracePeriod (default 24h)", () => {
    assert.deepEqual(checkRotationGrace({}, "k", { maxGracePeriod: "24h" }), []);
    assert.deepEqual(checkRotationGrace({ rotationGracePeriod: "24h" }, "k", { maxGracePeriod: "24h" }), []);
    assert.match(checkRotationGrace({ rotationGracePeriod: "2d" }, "k", { maxGracePeriod: "24h" })[0], /ApiKey k has rotationGracePeriod 2d.*at most 24h/);
    assert.equal(checkRotationGrace({ rotationGracePeriod: "2h" }, "k", { maxGracePeriod: "1h" }).length, 1);
    assert.throws(() => checkRotationGrace({}, "k", { maxGracePeriod: "a day" }), /maxGracePeriod/);
    assert.equal(runResource(rotationGraceMax, keyplane.ApiKey, { rotationGracePeriod: "48h" }).length, 1, "default 24h");
    assert.equal(runResource(rotationGraceMax, keyplane.ApiKey, { rotationGracePeriod: "48h" }, { maxGracePeriod: "72h" }).length, 0);
  });
});

describe("keyplane-no-leaked-keys (stack)", () => {
  it("a key refresh saw leaked is a mandatory violation until replaced; a replacement under way is not", () => {
    const leaked = res(keyplane.ApiKey, "exposed", { keyId: "key_1", leaked: true, leakedAt: "2026-12-01T21:00:00.000Z" });
    const fine = res(keyplane.ApiKey, "fine", { keyId: "key_2", leaked: false, leakedAt: null });
    const old = res(keyplane.ApiKey, "old", { keyId: "key_3" }); // state from before leak status existed
    const replacing = res(keyplane.ApiKey, "replacing", unknownCheckingProxy({ keyId: UNKNOWN(), leaked: unknownBooleanValue, leakedAt: UNKNOWN() }));
    const violations = runStack(noLeakedKeys, [leaked, fine, old, replacing]);
    assert.deepEqual(
      violations.map((v) => v.urn),
      [leaked.urn],
    );
    assert.match(violations[0].message, /ApiKey exposed was reported leaked at 2026-12-01T21:00:00.000Z/);
    assert.match(violations[0].message, /pulumi up --refresh/);
    assert.equal(noLeakedKeys.enforcementLevel, "mandatory");
    assert.deepEqual(checkNoLeakedKeys([fine, old, replacing]), []);
    // Any other failure reading props is not taken for "not known yet".
    const broken = res(keyplane.ApiKey, "broken", {});
    Object.defineProperty(broken.props, "leaked", {
      get() {
        throw new Error("boom");
      },
    });
    assert.throws(() => checkNoLeakedKeys([broken]), /boom/);
  });
});
