import { findPulumiCli } from "../../harness/pulumi";

/** A tool's directory; without it, skip (locally) or fail (CI=true), with the reason. */
export function requireTool(ctx: Mocha.Context, found: { dir?: string; why?: string }, tests: string): string {
  if (found.dir) return found.dir;
  if (process.env.CI) throw new Error(found.why);
  console.warn(`\n  !!! SKIPPING ${tests} tests: ${found.why}\n`);
  ctx.skip();
}

/** The Pulumi CLI's directory, or skip or fail (see requireTool). */
export const requirePulumi = (ctx: Mocha.Context) => requireTool(ctx, findPulumiCli(), "end-to-end");
