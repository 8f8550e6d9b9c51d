// `npm run demo` and `npm test` start here, on whatever Node.js is first on PATH.
require("../server/bin/supported-node.js").requireSupportedNode(
  `npm run ${process.env.npm_lifecycle_event ?? "demo"}`,
  'run `export PATH="$(bash scripts/install-node.sh 22):$PATH"` first',
);
