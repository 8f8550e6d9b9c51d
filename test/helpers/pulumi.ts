import { findPulumiCli } from "../../harness/pulumi";

/** Skip (locally) or fail (CI=true) when the CLI is missing, with the reason. */
export function requirePulumi(ctx: Mocha.Context): string {
  const cli = findPulumiCli();
  if (cli.dir) return cli.dir;
  if (process.env.CI) throw new Error(cli.why);
  console.warn(`\n  !!! SKIPPING end-to-end tests: ${cli.why}\n`);
  ctx.skip();
}
