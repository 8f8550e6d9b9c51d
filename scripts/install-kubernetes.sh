#!/usr/bin/env bash
# Makes a Kubernetes control plane and the Pulumi Kubernetes provider plugin available for the
# Kubernetes end-to-end tests: kube-apiserver and kube-controller-manager v1.34.4
# (scripts/kubernetes/control-plane), pulumi-resource-kubernetes (scripts/kubernetes/provider),
# and etcd (Debian's etcd-server, found on PATH).
#
#   bash scripts/install-kubernetes.sh                 # build or reuse; says what it does
#   bash scripts/install-kubernetes.sh --print-bin-dir # only print the directory to put on PATH
#
# Builds with Go from the module proxy into a cache outside the repo ($KEYPLANE_TOOLS_DIR,
# default ~/.cache/keyplane), one after the other (the plugin alone peaks at about 4.5 GB), so a
# second run is instant. Each part is rebuilt only when its wrapper module or its recipe below
# changes.
set -euo pipefail

KUBE_VERSION="v1.34.4"
here="$(cd "$(dirname "$0")" && pwd)"
cache="${KEYPLANE_TOOLS_DIR:-$HOME/.cache/keyplane}/kubernetes-${KUBE_VERSION}"
bin="$cache/bin"
quiet=0
[ "${1:-}" = "--print-bin-dir" ] && quiet=1
say() { [ $quiet = 1 ] || echo "install-kubernetes: $*" >&2; }

# The recipes: what each part's stamp covers besides its wrapper module.
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
provider_module="github.com/pulumi/pulumi-kubernetes/provider/v4"
provider_ldflags="-s -w -X ${provider_module}/pkg/version.Version=4.0.0-20260115033456-f47bc2d6f199"

stamp_of() { (cat "$here/kubernetes/$1"/go.mod "$here/kubernetes/$1"/go.sum "$here/kubernetes/$1"/*.go; echo "$2") | sha256sum | cut -c1-16; }
control_plane_stamp="$(stamp_of control-plane "$kube_ldflags")"
provider_stamp="$(stamp_of provider "$provider_ldflags")"
fresh() { [ "$(cat "$cache/stamp-$1" 2>/dev/null)" = "$2" ]; }

if [ $quiet = 1 ]; then
  if fresh control-plane "$control_plane_stamp" && fresh provider "$provider_stamp" && [ -x "$bin/etcd" ]; then
    echo "$bin"
    exit 0
  fi
  echo "install-kubernetes: not built yet; run 'bash scripts/install-kubernetes.sh' first" >&2
  exit 1
fi

command -v go >/dev/null 2>&1 || { say "Go is not installed: it is needed to build the control plane"; exit 1; }
mkdir -p "$bin"

etcd="$(PATH="$(echo "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:)" command -v etcd 2>/dev/null)" \
  || { say "etcd is not on PATH: install Debian's etcd-server (apt-get install etcd-server)"; exit 1; }
ln -sf "$etcd" "$bin/etcd"

# Runs "$@" in $1 with the log in $cache/$2.log; retries once without the checksum database when
# it is out of reach (go.sum still pins every module).
go_build() {
  local dir="$1" log="$cache/$2.log"
  shift 2
  if (cd "$dir" && GOFLAGS=-mod=mod nice -n 19 "$@") 2>"$log"; then return 0; fi
  if grep -q "sum.golang.org\|verifying module\|checksum database" "$log"; then
    say "the checksum database is out of reach; building with GOSUMDB=off (go.sum still pins every module)"
    (cd "$dir" && GOSUMDB=off GOFLAGS=-mod=mod nice -n 19 "$@") 2>"$log" && return 0
  fi
  cat "$log" >&2
  say "build failed (log: $log)"
  return 1
}

if fresh control-plane "$control_plane_stamp" && [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ]; then
  say "kube-apiserver and kube-controller-manager $KUBE_VERSION ready in $bin (cached)"
else
  say "building kube-apiserver and kube-controller-manager $KUBE_VERSION into $bin (first run: about 8 minutes on 2 cores)"
  start=$(date +%s)
  for cmd in kube-apiserver kube-controller-manager; do
    go_build "$here/kubernetes/control-plane" "$cmd" go build -trimpath -ldflags "$kube_ldflags" -o "$bin/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
  echo "$control_plane_stamp" > "$cache/stamp-control-plane"
  say "control plane built in $(( $(date +%s) - start ))s: $("$bin/kube-apiserver" --version)"
fi

if fresh provider "$provider_stamp" && [ -x "$bin/pulumi-resource-kubernetes" ]; then
  say "pulumi-resource-kubernetes ready in $bin (cached)"
else
  say "building pulumi-resource-kubernetes into $bin (first run: about 14 minutes on 2 cores, 4.5 GB at its peak)"
  start=$(date +%s)
  # The wrapper embeds the provider module's schema and mapping: build it in a copy beside them.
  src="$cache/provider-src"
  rm -rf "$src" && mkdir -p "$src"
  cp "$here/kubernetes/provider"/go.mod "$here/kubernetes/provider"/go.sum "$here/kubernetes/provider"/*.go "$src/"
  go_build "$src" provider-download go mod download "$provider_module"
  mod_dir="$(cd "$src" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "$provider_module")"
  cp "$mod_dir/cmd/pulumi-resource-kubernetes/schema.json" "$mod_dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$src/"
  go_build "$src" pulumi-resource-kubernetes go build -trimpath -ldflags "$provider_ldflags" -o "$bin/pulumi-resource-kubernetes" .
  echo "$provider_stamp" > "$cache/stamp-provider"
  say "pulumi-resource-kubernetes built in $(( $(date +%s) - start ))s"
fi
say "etcd: $("$bin/etcd" --version 2>/dev/null | head -1)"
