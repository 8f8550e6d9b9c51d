import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkKeyMaxTtl, clampKeyLifetime, keyMaxTtl } from "../../policy-pack/policies/key-max-ttl";
import type { KeyProps } from "../../policy-pack/policies/keyplane-resources";
import { type Evasion, evasions } from "./evasions";
import { configOf, isType, NOW, runResource, UNKNOWN, unknownCheckingProxy, unknownStringValue } from "./fixture";

describe("policies as pure functions", () => {
  const limit = { maxTtl: "90d" };

  describe("keyplane-key-max-ttl judges the longest a key can live (the evasion table)", () => {
    const lifetimeCases = evasions.filter(
      (e): e is Evasion & { lifetime: NonNullable<Evasion["lifetime"]> } => e.lifetime !== undefined,
    );
    for (const e of lifetimeCases) {
      it(`${e.resource}: ${e.what}`, () => {
        const props = e.props(NOW);
        const messages = checkKeyMaxTtl(props, e.resource, limit, NOW);
        if (e.lifetime.message) {
          assert.equal(messages.length, 1, JSON.stringify(messages));
          assert.match(messages[0], e.lifetime.message);
        } else assert.deepEqual(messages, []);
        assert.deepEqual(clampKeyLifetime(props, limit, NOW), e.lifetime.clamp);
        if (e.lifetime.clamp) {
          const clamped: KeyProps = { ...props, ...e.lifetime.clamp };
          if (e.lifetime.clamp.expiresAt === undefined) delete clamped.expiresAt;
          assert.deepEqual(checkKeyMaxTtl(clamped, e.resource, limit, NOW), [], "the clamped key complies");
        }
      });
    }

    it("config lowers the limit; a bad limit is a config error; malformed values are left to the provider's check", () => {
      assert.equal(checkKeyMaxTtl({ ttl: "30d" }, "k", { maxTtl: "7d" }, NOW).length, 1);
      assert.match(
        checkKeyMaxTtl({ expiresAt: "2027-01-01T00:00:00Z" }, "k", limit, NOW)[0],
        /no later than 2026-04-01T00:00:00\.000Z/,
        "now + 90d",
      );
      assert.throws(() => checkKeyMaxTtl({ ttl: "1d" }, "k", { maxTtl: "ninety" }), /maxTtl/);
      assert.deepEqual(checkKeyMaxTtl({ ttl: "1y" }, "k", limit, NOW), []);
      assert.deepEqual(checkKeyMaxTtl({ renewable: true, explicitMaxTtl: "1y" }, "k", limit, NOW), []);
    });

    it("a value unknown at preview is not guessed: the engine's unknown error surfaces unless the known values decide", () => {
      assert.throws(
        () => checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN() }), "k", limit, NOW),
        /ttl can't be known during preview/,
      );
      assert.throws(
        () => checkKeyMaxTtl(unknownCheckingProxy({ renewable: true, explicitMaxTtl: UNKNOWN() }), "k", limit, NOW),
        /explicitMaxTtl/,
      );
      // Known values that decide: an explicit cap within the limit, or a renewable key with no cap.
      assert.deepEqual(
        checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN(), explicitMaxTtl: "30d" }), "k", limit, NOW),
        [],
      );
      assert.match(
        checkKeyMaxTtl(unknownCheckingProxy({ ttl: UNKNOWN(), renewable: true }), "k", limit, NOW)[0],
        /renewable without explicitMaxTtl/,
      );
    });

    it("the policy matches ApiKeys only, reads defaults from its configSchema, and remediates in place", () => {
      assert.equal(runResource(keyMaxTtl, keyplane.ApiKey, { ttl: "2161h" }).length, 1, "default maxTtl 90d");
      assert.equal(runResource(keyMaxTtl, keyplane.ApiKey, { ttl: "100d" }, { maxTtl: "365d" }).length, 0);
      assert.throws(
        () => runResource(keyMaxTtl, keyplane.Secret, { ttl: "100d" }),
        /not applicable: Policy only applies to resources of type 'pulumi-nodejs:dynamic\/keyplane:ApiKey'/,
      );
      assert.equal(
        (keyMaxTtl.validateResource as any).__pulumiType,
        keyplane.ApiKey.__pulumiType,
        "the engine filters by the SDK class's type token",
      );
      // Remediation changes only the lifetime fields and leaves values it never read, unknown ones included.
      const props = unknownCheckingProxy({
        project: UNKNOWN(),
        name: "k",
        expiresAt: "2030-01-01T00:00:00Z",
        renewable: true,
      });
      const args: any = {
        type: keyplane.ApiKey.__pulumiType,
        props,
        getConfig: () => configOf(keyMaxTtl, {}),
        isType: isType(keyplane.ApiKey.__pulumiType),
      };
      const out = keyMaxTtl.remediateResource!(args) as any;
      const target = out.__getSpecialProxyTarget;
      assert.deepEqual(
        { ...target },
        { project: unknownStringValue, name: "k", renewable: true, ttl: "90d", explicitMaxTtl: "90d" },
      );
      assert.equal(
        keyMaxTtl.remediateResource!({ ...args, props: { ttl: "1d" } }),
        undefined,
        "compliant keys are left alone",
      );
    });
  });
});
