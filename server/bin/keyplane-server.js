#!/usr/bin/env node
// The command npm links. It is committed (not built) because npm links workspace bins at
// `npm ci`, before `npm run build` has made dist/; and it is plain JavaScript so that it can
// refuse an unsupported Node.js with one clear line before any native addon loads.
const { requireSupportedNode } = require("./supported-node.js");
requireSupportedNode("keyplane-server");
require("../dist/cli.js");
