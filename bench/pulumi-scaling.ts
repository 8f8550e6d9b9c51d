// Pulumi scaling, state size and policy overhead, with the real CLI: N keyplane ApiKeys
// with bindings against the same number of resources on a no-op dynamic provider.
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@keyplane/server";
import type { Stack } from "@pulumi/pulumi/automation";
import { findPulumiCli, newStack, REPO_ROOT, writeProgram } from "../harness/pulumi";
import { median, printTable, round, writeResult } from "./report";

const KEYPLANE_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const keyplane = require("keyplane");
const n = Number(new pulumi.Config().require("n"));
const p = new keyplane.Project("proj", { name: "scale" });
const d = new keyplane.Deployment("dep", { project: p.id, model: "m" });
for (let i = 0; i < n; i++) {
  const k = new keyplane.ApiKey("key-" + i, { project: p.id, ttl: "30d" });
  new keyplane.DeploymentBinding("bind-" + i, { project: p.id, apiKey: k.keyId, deployment: d.id });
}
new keyplane.Secret("hf", { project: p.id, useCase: "huggingface", value: { token: "hf_bench" } });
`;

// The engine's floor: the same number of dynamic resources whose provider does nothing.
const NOOP_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const n = Number(new pulumi.Config().require("n"));
const noop = { async create(inputs) { return { id: "noop-" + Math.random().toString(36).slice(2), outs: inputs }; }, async delete() {} };
class Noop extends pulumi.dynamic.Resource { constructor(name, props) { super(noop, name, props, undefined, "bench", "Noop"); } }
const p = new Noop("proj", { name: "scale" });
const d = new Noop("dep", { project: p.id });
for (let i = 0; i < n; i++) {
  const k = new Noop("key-" + i, { project: p.id, ttl: "30d" });
  new Noop("bind-" + i, { project: p.id, apiKey: k.id, deployment: d.id });
}
new Noop("hf", { project: p.id });
`;

/**
 * Pulumi's analyzer floor: a pack with one policy that does nothing, run the way keyplane's
 * pack runs (compiled JavaScript, `typescript: false`), resolving @pulumi/policy from the repo.
 */
function trivialPolicyPack(): string {
  const dir = mkdtempSync(join(tmpdir(), "kp-bench-trivial-pack-"));
  writeFileSync(
    join(dir, "PulumiPolicy.yaml"),
    "runtime:\n  name: nodejs\n  options:\n    typescript: false\ndescription: one no-op policy\n",
  );
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "trivial-pack", version: "0.0.1", main: "index.js" }),
  );
  writeFileSync(
    join(dir, "index.js"),
    `const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("trivial", { policies: [{ name: "noop", description: "does nothing", enforcementLevel: "mandatory", validateResource: () => {} }] });
`,
  );
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)],
  );
}

/** The stack's checkpoint as the file:// backend stores it (secrets encrypted). */
function checkpoint(workDir: string): any {
  const file = filesUnder(join(workDir, ".state")).find((f) => /\/stacks\/.*\/e2e\.json$/.test(f));
  if (!file) throw new Error("no checkpoint file");
  return JSON.parse(readFileSync(file, "utf8"));
}

interface StateSize {
  checkpointBytes: number;
  perKind: Record<string, { avg: number; provider: number; count: number }>;
}

const OPS = ["up", "preview", "destroy"] as const;
type Times = Record<(typeof OPS)[number], number>;
const medianTimes = (list: Times[]): Times =>
  Object.fromEntries(OPS.map((op) => [op, median(list.map((t) => t[op]))])) as Times;

/** Keyplane and the no-op floor alternate, round by round; each figure is the median round. */
export async function pulumiBenchmark(quick: boolean, rounds = quick ? 1 : 3) {
  const cli = findPulumiCli();
  if (!cli.dir) throw new Error(cli.why);
  const sizes = quick ? [5, 20] : [10, 50, 200];
  const server = await startServer({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), "kp-bench-pulumi-")),
    logger: false,
    env: { KEYPLANE_ADMIN_TOKEN: "bench-admin-token-0123456789" },
  });
  const env = { KEYPLANE_ENDPOINT: server.url, KEYPLANE_TOKEN: server.adminToken };
  const scaling: Record<string, unknown>[] = [];
  const diagnosis: Record<string, unknown>[] = [];
  const rows: Record<string, string | number>[] = [];
  let state: Record<string, unknown> = {};
  let policy: Record<string, unknown> = {};
  try {
    for (const n of sizes) {
      const run = async (program: string, name: string, last: boolean, extraEnv: Record<string, string> = {}) => {
        const dir = writeProgram(name, program);
        const stack: Stack = await newStack(cli.dir!, dir, { ...env, ...extraEnv });
        await stack.setConfig("n", { value: String(n) });
        const up = await timed(() => stack.up());
        const preview = await timed(() => stack.preview());
        let extra: Record<string, unknown> = {};
        if (last) extra = measureState(dir);
        if (last && name === "keyplane") {
          // Alternating, so both packs see the same load; each figure is the faster of two.
          const trivial = trivialPolicyPack();
          const times = { trivial: [] as number[], keyplane: [] as number[] };
          for (let i = 0; i < 2; i++) {
            times.trivial.push(await timed(() => stack.preview({ policyPacks: [trivial] })));
            times.keyplane.push(await timed(() => stack.preview({ policyPacks: [join(REPO_ROOT, "policy-pack")] })));
          }
          const withTrivial = Math.min(...times.trivial);
          const withPack = Math.min(...times.keyplane);
          extra.policy = {
            keys: n,
            previewSeconds: preview,
            previewWithTrivialPackSeconds: withTrivial,
            previewWithPolicyPackSeconds: withPack,
            ratio: withPack / withTrivial,
            times,
          };
        }
        const destroy = await timed(() => stack.destroy());
        return { up, preview, destroy, ...extra };
      };
      const last = n === sizes[sizes.length - 1];
      // A diagnosis, not a way to run: with the engine's intermediate checkpoints off, what
      // is left is the providers' own work, so the two rows show how much of the gap is the
      // file backend rewriting a checkpoint that grows with each resource's state.
      const variants: [string, Record<string, string>][] = [["", {}]];
      if (last && !quick) variants.push([" (checkpoints off)", { PULUMI_SKIP_CHECKPOINTS: "true" }]);
      for (const [label, extraEnv] of variants) {
        const keyplaneRounds: Times[] = [];
        const noopRounds: Times[] = [];
        for (let r = 0; r < rounds; r++) {
          const measured = last && r === 0 && !label;
          const k = await run(KEYPLANE_PROGRAM, "keyplane", measured, extraEnv);
          keyplaneRounds.push({ up: k.up, preview: k.preview, destroy: k.destroy });
          const f = await run(NOOP_PROGRAM, "noop", measured, extraEnv);
          noopRounds.push({ up: f.up, preview: f.preview, destroy: f.destroy });
          if (measured) {
            state = { keyplane: (k as any).state, noop: (f as any).state };
            policy = (k as any).policy;
          }
        }
        const k = medianTimes(keyplaneRounds);
        const f = medianTimes(noopRounds);
        const ratios = Object.fromEntries(
          OPS.map((op) => [op, median(keyplaneRounds.map((t, i) => t[op] / noopRounds[i][op]))]),
        ) as Times;
        (label ? diagnosis : scaling).push({
          n,
          resources: 2 * n + 4,
          keyplane: k,
          noop: f,
          ratio: ratios,
          rounds: { keyplane: keyplaneRounds, noop: noopRounds },
          ...(label ? { env: extraEnv } : {}),
        });
        for (const op of OPS) {
          rows.push({
            N: `${n}${label}`,
            op,
            "keyplane s": round(k[op]),
            "no-op s": round(f[op]),
            ratio: round(ratios[op]),
            "keyplane ms/key": round((k[op] * 1000) / n, 0),
          });
        }
      }
    }
  } finally {
    await server.close();
  }
  printTable(
    `Pulumi scaling: N ApiKeys + N bindings (+ project, deployment, secret) vs the same count on a no-op dynamic provider; median of ${rounds} round${rounds > 1 ? "s" : ""}, ratio within a round`,
    rows,
  );
  const st = state as { keyplane?: StateSize; noop?: StateSize };
  const noopAvg = st.noop?.perKind.Noop?.avg;
  printTable(
    `State size per resource (bytes in the stored checkpoint; a no-op resource: ${noopAvg ?? "?"} bytes; checkpoint ${round((st.keyplane?.checkpointBytes ?? 0) / 1024, 0)} KB vs ${round((st.noop?.checkpointBytes ?? 0) / 1024, 0)} KB)`,
    Object.entries(st.keyplane?.perKind ?? {}).map(([kind, v]) => ({
      kind,
      count: v.count,
      "avg bytes": v.avg,
      "serialized provider bytes": v.provider,
      "vs no-op resource": noopAvg ? round(v.avg / noopAvg) : "?",
    })),
  );
  const pol = policy as {
    keys: number;
    previewSeconds: number;
    previewWithTrivialPackSeconds: number;
    previewWithPolicyPackSeconds: number;
    ratio: number;
  };
  printTable(
    `Policy pack on a ${pol.keys}-key preview, against Pulumi's analyzer floor (a pack with one no-op policy), same run`,
    [
      {
        pack: "none",
        "preview s": round(pol.previewSeconds),
        "vs trivial pack": round(pol.previewSeconds / pol.previewWithTrivialPackSeconds),
      },
      {
        pack: "trivial (one no-op policy)",
        "preview s": round(pol.previewWithTrivialPackSeconds),
        "vs trivial pack": 1,
      },
      { pack: "keyplane", "preview s": round(pol.previewWithPolicyPackSeconds), "vs trivial pack": round(pol.ratio) },
    ],
  );
  const results = { scaling, checkpointsOff: diagnosis, state, policy };
  return { file: writeResult("pulumi", results, quick), results };

  function measureState(dir: string): { state: StateSize } {
    const cp = checkpoint(dir);
    const resources: any[] = cp.checkpoint.latest.resources;
    const perKind: Record<string, { avg: number; provider: number; count: number }> = {};
    for (const r of resources) {
      const kind = String(r.type).split(":").pop()!;
      const bytes = JSON.stringify(r).length;
      const provider = typeof r.inputs?.__provider === "string" ? r.inputs.__provider.length : 0;
      perKind[kind] ??= { avg: 0, provider: 0, count: 0 };
      const k = perKind[kind];
      k.avg += bytes;
      k.provider = Math.max(k.provider, provider);
      k.count += 1;
    }
    for (const k of Object.values(perKind)) k.avg = Math.round(k.avg / k.count);
    return { state: { checkpointBytes: JSON.stringify(cp).length, perKind } };
  }
}
