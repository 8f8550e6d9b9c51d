// The supported Node.js majors come from package.json's engines (one source). An older Node.js
// would load better-sqlite3's Node-API binary and crash with a segmentation fault, so say why
// and stop first. Plain JavaScript: it has to run on any Node.js.
const { engines } = require("../package.json");

function requireSupportedNode(what, hint) {
  const min = Number(/>=\s*(\d+)/.exec(engines.node)[1]);
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= min) return;
  const tail = hint ? `; ${hint}` : "";
  process.stderr.write(
    `${what} needs Node.js ${min} or later (22 LTS and 24 are supported); this is ${process.version}${tail}\n`,
  );
  process.exit(1);
}

module.exports = { requireSupportedNode };
