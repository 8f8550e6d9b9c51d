// Makes `require("keyplane")` resolve to this checkout, as it does for users who
// install the package: the Pulumi dynamic-provider host loads the provider by name.
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "keyplane");
try {
  if (fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  /* no link yet */
}
fs.symlinkSync("..", link, "dir");
