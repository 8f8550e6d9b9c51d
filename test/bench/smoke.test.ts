import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { requirePulumi } from "../helpers/pulumi";

const ROOT = resolve(__dirname, "../../..");

// Runs `npm run bench -- --quick` end to end and checks what it wrote; no timing is asserted.
describe("benchmarks (--quick smoke run)", function () {
  this.timeout(600_000);

  it("runs every benchmark and writes well-formed JSON", function () {
    requirePulumi(this);
    const run = spawnSync(process.execPath, [join(ROOT, "dist/bench/run.js"), "--quick"], {
      encoding: "utf8",
      timeout: 540_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /ratio vs bare/);
    const gateway = JSON.parse(readFileSync(join(ROOT, "bench/results/gateway.quick.json"), "utf8"));
    assert.equal(gateway.name, "gateway");
    for (const target of [
      "bare",
      "sqlite, unlimited keys",
      "sqlite, numUses keys (atomic write)",
      "postgres, unlimited keys",
      "postgres, numUses keys (atomic write)",
      "postgres, 2,000 unlimited keys",
      "postgres, 2,000 numUses keys (atomic write)",
      "postgres, two replicas, unlimited keys",
      "sqlite, rate-limited keys (in-process)",
      "sqlite, rate-limited keys (shared through Redis)",
    ]) {
      const r = target === "bare" ? gateway.results.bare : gateway.results[target].peak;
      assert.ok(Number.isFinite(r.rps) && r.rps > 0, `${target} has a throughput`);
      assert.equal(r.errors + r.non2xx, 0, `${target} answered every call with 200`);
    }
    for (const path of ["direct", "gateway"] as const)
      assert.ok(gateway.results.streaming[path].ttfbP50 > 0, `streaming ${path} has a time to first byte`);
    const pulumi = JSON.parse(readFileSync(join(ROOT, "bench/results/pulumi.quick.json"), "utf8"));
    assert.equal(pulumi.results.scaling.length, 2);
    for (const row of pulumi.results.scaling)
      for (const op of ["up", "preview", "destroy"]) assert.ok(row.keyplane[op] > 0 && row.noop[op] > 0);
    const perKind = pulumi.results.state.keyplane.perKind;
    for (const kind of ["Project", "Deployment", "ApiKey", "DeploymentBinding", "Secret"]) {
      assert.ok(
        perKind[kind].provider > 0 && perKind[kind].provider < 1024,
        `${kind} serialized provider ${perKind[kind].provider} bytes`,
      );
    }
    assert.ok(pulumi.results.policy.previewWithPolicyPackSeconds > 0);
  });
});
