#!/usr/bin/env bash
# Makes the Pulumi CLI, a Node.js language host and the dynamic-provider shim available.
#
#   bash scripts/install-pulumi.sh                 # build or reuse; says what it does
#   bash scripts/install-pulumi.sh --print-bin-dir # only print the directory to put on PATH
#
# With an official CLI already on PATH it builds nothing. Otherwise it builds the
# pinned CLI (scripts/pulumi-cli/go.mod) with Go into a cache outside the repo
# ($KEYPLANE_TOOLS_DIR, default ~/.cache/keyplane), so a second run is instant.
set -euo pipefail

PULUMI_VERSION="3.259.0"
here="$(cd "$(dirname "$0")" && pwd)"
cache="${KEYPLANE_TOOLS_DIR:-$HOME/.cache/keyplane}/pulumi-v${PULUMI_VERSION}"
bin="$cache/bin"
say() { [ "${quiet:-0}" = 1 ] || echo "install-pulumi: $*" >&2; }
quiet=0
[ "${1:-}" = "--print-bin-dir" ] && quiet=1

write_shim() {
  mkdir -p "$1"
  cat > "$1/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/usr/bin/env node
// Pulumi starts this in the program's directory: run the dynamic-provider host of the
// @pulumi/pulumi that the program itself uses.
const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] });
process.argv.splice(1, 1, entry);
require(entry);
// That host never checks on its engine, and Pulumi starts plugins in process groups of their
// own: an engine killed with its group (a cancelled CI job) would leave it running forever.
// Exit, as Pulumi's own plugins do, once the engine (argv: <engine address>) stops answering
// its gRPC health check.
const engine = process.argv[2];
if (engine) {
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [require("node:path").dirname(entry)] }));
  const client = new grpc.Client(engine, grpc.credentials.createInsecure());
  const check = () =>
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", () => Buffer.alloc(0), (b) => b, {}, (err) => {
      if (err && err.code !== grpc.status.UNIMPLEMENTED) process.exit(1);
      setTimeout(check, 1000).unref();
    });
  setTimeout(check, 1000).unref();
}
SHIM
  chmod +x "$1/pulumi-resource-pulumi-nodejs"
}

# 1. An official CLI on PATH (not ours): use it as it is.
if official="$(PATH="$(echo "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:)" command -v pulumi 2>/dev/null)"; then
  dir="$(dirname "$official")"
  if [ -x "$dir/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null 2>&1; then
    if ! command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1 && [ ! -x "$dir/pulumi-resource-pulumi-nodejs" ]; then
      write_shim "$bin"
      say "using the installed CLI at $official; dynamic-provider shim written to $bin"
      [ $quiet = 1 ] && echo "$bin:$dir" || true
      exit 0
    fi
    say "using the installed CLI at $official ($("$official" version 2>/dev/null || echo unknown version))"
    [ $quiet = 1 ] && echo "$dir" || true
    exit 0
  fi
fi

# 2. Our cached build, if it was made from the same pins and sources.
stamp="$( (cat "$here/pulumi-cli/go.mod" "$here/pulumi-cli/go.sum" "$here/pulumi-cli/language-host/main.go" "$here/install-pulumi.sh") | sha256sum | cut -c1-16)"
if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
  write_shim "$bin"
  say "Pulumi CLI v$PULUMI_VERSION ready in $bin (cached)"
  [ $quiet = 1 ] && echo "$bin" || true
  exit 0
fi
if [ $quiet = 1 ]; then
  echo "install-pulumi: no CLI built yet; run 'bash scripts/install-pulumi.sh' first" >&2
  exit 1
fi

# 3. Build from the Go module proxy.
command -v go >/dev/null 2>&1 || { say "Go is not installed: it is needed to build the Pulumi CLI"; exit 1; }
say "building Pulumi CLI v$PULUMI_VERSION and the Node.js language host into $bin (first run takes a few minutes)"
mkdir -p "$bin"
start=$(date +%s)
build() {
  (cd "$here/pulumi-cli" && go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    && go build -trimpath -o "$bin/pulumi-language-nodejs" ./language-host)
}
if ! build 2>"$cache/build.log"; then
  if grep -q "sum.golang.org\|verifying module\|checksum database" "$cache/build.log"; then
    say "the checksum database is out of reach; building with GOSUMDB=off (go.sum still pins every module)"
    GOSUMDB=off build 2>"$cache/build.log" || { cat "$cache/build.log" >&2; say "build failed (log: $cache/build.log)"; exit 1; }
  else
    cat "$cache/build.log" >&2
    say "build failed (log: $cache/build.log)"
    exit 1
  fi
fi
write_shim "$bin"
echo "$stamp" > "$cache/stamp"
say "built in $(( $(date +%s) - start ))s: $("$bin/pulumi" version)"
