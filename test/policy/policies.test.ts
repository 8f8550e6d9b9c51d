import { strict as assert } from "node:assert";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkKeyMaxTtl, clampKeyTtl, keyMaxTtl } from "../../policy-pack/policies/key-max-ttl";
import { checkRenewableKey, renewableKeyMaxLifetime } from "../../policy-pack/policies/renewable-key-max-lifetime";
import { checkAllDeployments, checkProjectScope, keyLeastPrivilegeScope } from "../../policy-pack/policies/key-scope";
import { checkUsageLimit } from "../../policy-pack/policies/usage-limit";
import { checkSecretUseCase, secretUseCase } from "../../policy-pack/policies/secret-use-case";
import { bindingSameProject, checkBindingsSameProject, checkKeysBound, keyMustBeBound } from "../../policy-pack/policies/bindings";
import { TYPE } from "../../policy-pack/policies/keyplane-resources";

/** Runs a resource policy as the engine would, without the pack's gRPC server. */
function runResource(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config: object = {}) {
  const violations: string[] = [];
  const args: any = { type, props, urn: `urn:${type}::r`, name: "r", getConfig: () => config };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const v of validations) v(args, (m: string) => violations.push(m));
  return violations;
}
function runStack(policy: StackValidationPolicy, resources: PolicyResource[], config: object = {}) {
  const violations: { message: string; urn?: string }[] = [];
  policy.validateStack!({ resources, getConfig: () => config } as any, (message, urn) => violations.push({ message, urn }));
  return violations;
}
const res = (type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, PolicyResource[]> = {}): PolicyResource =>
  ({ type, name, urn: `urn:pulumi:s::p::${type}::${name}`, props, propertyDependencies, dependencies: Object.values(propertyDependencies).flat() }) as any;

describe("policies as pure functions", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("keyplane-key-max-ttl: ttl, expiresAt and never-expiring keys; config; remediation", () => {
    assert.deepEqual(checkKeyMaxTtl({ ttl: "30d" }, "k", { maxTtl: "90d" }, now), []);
    assert.match(checkKeyMaxTtl({ ttl: "120d" }, "k", { maxTtl: "90d" }, now)[0], /ApiKey k lives too long \(ttl 120d\).*at most 90d/);
    assert.match(checkKeyMaxTtl({}, "k", { maxTtl: "90d" }, now)[0], /never expires/);
    assert.match(checkKeyMaxTtl({ ttl: "0" }, "k", { maxTtl: "90d" }, now)[0], /never expires/);
    assert.deepEqual(checkKeyMaxTtl({ ttl: "0", explicitMaxTtl: "30d" }, "k", { maxTtl: "90d" }, now), [], "explicitMaxTtl bounds it");
    assert.equal(checkKeyMaxTtl({ expiresAt: "2026-06-01T00:00:00Z" }, "k", { maxTtl: "90d" }, now).length, 1);
    assert.deepEqual(checkKeyMaxTtl({ ttl: "30d" }, "k", { maxTtl: "7d" }, now).length, 1, "config lowers the limit");
    assert.deepEqual(checkKeyMaxTtl({ ttl: { unknown: true } as any }, "k", { maxTtl: "90d" }, now), [], "unknown at preview");
    assert.deepEqual(clampKeyTtl({ name: "k", expiresAt: "2030-01-01T00:00:00Z" }, { maxTtl: "90d" }, now), { name: "k", ttl: "90d" });
    assert.equal(clampKeyTtl({ ttl: "1d" }, { maxTtl: "90d" }, now), undefined, "compliant keys are left alone");
    assert.throws(() => checkKeyMaxTtl({ ttl: "1d" }, "k", { maxTtl: "ninety" }), /maxTtl/);
    assert.equal(runResource(keyMaxTtl, TYPE.ApiKey, { ttl: "100d" }).length, 1);
    assert.equal(runResource(keyMaxTtl, TYPE.ApiKey, { ttl: "100d" }, { maxTtl: "365d" }).length, 0);
    assert.equal(runResource(keyMaxTtl, TYPE.Secret, { ttl: "100d" }).length, 0, "other kinds are not judged");
    assert.deepEqual(keyMaxTtl.remediateResource!({ type: TYPE.ApiKey, props: { ttl: "1y0d" }, getConfig: () => ({}) } as any), undefined, "malformed: left to check");
  });

  it("keyplane-renewable-key-max-lifetime", () => {
    assert.deepEqual(checkRenewableKey({ renewable: false }, "k", { maxExplicitTtl: "365d" }), []);
    assert.match(checkRenewableKey({ renewable: true }, "k", { maxExplicitTtl: "365d" })[0], /without explicitMaxTtl/);
    assert.match(checkRenewableKey({ renewable: true, explicitMaxTtl: "400d" }, "k", { maxExplicitTtl: "365d" })[0], /explicitMaxTtl 400d.*365d/);
    assert.equal(runResource(renewableKeyMaxLifetime, TYPE.ApiKey, { renewable: true, explicitMaxTtl: "400d" }, { maxExplicitTtl: "500d" }).length, 0);
  });

  it("keyplane-key-least-privilege-scope and keyplane-key-no-all-deployments", () => {
    assert.match(checkProjectScope({ scope: "project" }, "admin-key", { allowedProjectScopeKeys: [] })[0], /scope "project".*allowedProjectScopeKeys/);
    assert.deepEqual(checkProjectScope({ scope: "project" }, "admin-key", { allowedProjectScopeKeys: ["admin-key"] }), []);
    assert.deepEqual(checkProjectScope({ scope: "inference" }, "k", { allowedProjectScopeKeys: [] }), []);
    assert.equal(runResource(keyLeastPrivilegeScope, TYPE.ApiKey, { name: "ops", scope: "project" }, { allowedProjectScopeKeys: ["ops"] }).length, 0);
    assert.match(checkAllDeployments({ deploymentAccess: "all" }, "k")[0], /deploymentAccess "all"/);
    assert.deepEqual(checkAllDeployments({}, "k"), []);
  });

  it("keyplane-usage-limit-for-labelled-keys, with a configurable label", () => {
    assert.match(checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "purpose", labelValue: "ci" })[0], /numUses/);
    assert.deepEqual(checkUsageLimit({ labels: { purpose: "ci" }, numUses: 100 }, "k", { labelKey: "purpose", labelValue: "ci" }), []);
    assert.deepEqual(checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "kind", labelValue: "batch" }), []);
    assert.equal(checkUsageLimit({ labels: { kind: "batch" } }, "k", { labelKey: "kind", labelValue: "batch" }).length, 1);
  });

  it("keyplane-secret-use-case is advisory and spots known shapes", () => {
    assert.equal(secretUseCase.enforcementLevel, "advisory");
    assert.match(checkSecretUseCase({ useCase: "generic", value: { data: { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" } } }, "s")[0], /useCase "s3"/);
    assert.match(checkSecretUseCase({ useCase: "generic", value: { data: { HF_TOKEN: "x" } } }, "s")[0], /huggingface/);
    assert.deepEqual(checkSecretUseCase({ useCase: "generic", value: { data: { DB_URL: "x" } } }, "s"), []);
    assert.deepEqual(checkSecretUseCase({ useCase: "s3", value: {} }, "s"), []);
    assert.equal(runResource(secretUseCase, TYPE.Secret, { useCase: "generic", value: { data: { ".dockerconfigjson": "{}" } } }).length, 1);
  });

  it("keyplane-key-must-be-bound and keyplane-binding-same-project (stack policies)", () => {
    const p1 = res(TYPE.Project, "p1", { id: "prj_1" });
    const p2 = res(TYPE.Project, "p2", { id: "prj_2" });
    const bound = res(TYPE.ApiKey, "bound", { name: "bound" }, { project: [p1] });
    const lonely = res(TYPE.ApiKey, "lonely", { name: "lonely" }, { project: [p1] });
    const admin = res(TYPE.ApiKey, "admin", { scope: "project" }, { project: [p1] });
    const d1 = res(TYPE.Deployment, "d1", {}, { project: [p1] });
    const d2 = res(TYPE.Deployment, "d2", {}, { project: [p2] });
    const ok = res(TYPE.DeploymentBinding, "ok", {}, { project: [p1], apiKey: [bound], deployment: [d1] });
    const cross = res(TYPE.DeploymentBinding, "cross", {}, { project: [p1], apiKey: [bound], deployment: [d2] });
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
    const k = res(TYPE.ApiKey, "k", { keyId: "key_1", project: "prj_1" });
    const b = res(TYPE.DeploymentBinding, "b", { apiKey: "key_1", project: "prj_1", deployment: "dep_9" });
    assert.deepEqual(checkKeysBound([k, b], { maxBindingsPerKey: 10 }), []);
    assert.equal(runStack(keyMustBeBound, all, { maxBindingsPerKey: 10 }).length, 1);
    assert.equal(runStack(bindingSameProject, all).length, 1);
  });
});
