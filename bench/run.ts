// `npm run bench [-- --quick] [-- --only gateway|pulumi|footprint]`: every figure beside its baseline.
import { gatewayBenchmark } from "./gateway";
import { installFootprintBenchmark } from "./install-footprint";
import { pulumiBenchmark } from "./pulumi-scaling";

async function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
  const started = Date.now();
  const files: string[] = [];
  if (!only || only === "gateway") files.push((await gatewayBenchmark(quick)).file);
  if (!only || only === "pulumi") files.push((await pulumiBenchmark(quick)).file);
  // Two fresh npm installs: a full run and `--only footprint` measure it; the test suite checks it (test/e2e/packaging).
  if ((!only && !quick) || only === "footprint") files.push((await installFootprintBenchmark(quick)).file);
  console.log(`\nwrote ${files.join(", ")} in ${Math.round((Date.now() - started) / 1000)}s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
