#!/usr/bin/env bash
# Builds the control-plane binaries hookwright's tests run against (kube-apiserver, kubectl,
# etcd, helm) from the Go module proxy, pinned by the go.mod/go.sum files beside this script.
# Binaries are cached under ~/.cache/hookwright/bin/<k8s-version>-<hash>/ and rebuilt only when
# a pin (or this script, or the Go version) changes. Prints the binary directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=-mod=readonly
export GOMODCACHE=${GOMODCACHE:-$cache/go/mod} GOCACHE=${GOCACHE:-$cache/go/build}

modversion() { # module dir, module path -> pinned version
  (cd "$here/$1" && go list -m -f '{{.Version}}' "$2")
}
k8s=$(modversion kube k8s.io/kubernetes)
etcd=$(modversion etcd go.etcd.io/etcd/server/v3)
helm=$(modversion helm helm.sh/helm/v3)
key=$( (cat "$here"/*/go.mod "$here"/*/go.sum "$0"; go version) | sha256sum | cut -c1-10)
bin="$cache/bin/$k8s-$key"

if [ ! -f "$bin/.complete" ]; then
  mkdir -p "$bin.tmp"
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  minor=$(echo "$k8s" | cut -d. -f2)
  kv=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kv="$kv -X $p.gitVersion=$k8s -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    kv="$kv -X $p.gitTreeState=clean -X $p.buildDate=$date -X $p.gitCommit=module-proxy"
  done
  build() { # module dir, package, output name, extra ldflags
    echo "building $3 ($2)" >&2
    (cd "$here/$1" && go build -trimpath -ldflags "-s -w $4" -o "$bin.tmp/$3" "$2")
  }
  build kube k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$kv"
  build kube k8s.io/kubernetes/cmd/kubectl kubectl "$kv"
  build etcd go.etcd.io/etcd/server/v3 etcd ""
  build helm helm.sh/helm/v3/cmd/helm helm "-X helm.sh/helm/v3/internal/version.version=$helm"
  printf 'kubernetes=%s\netcd=%s\nhelm=%s\n' "$k8s" "$etcd" "$helm" > "$bin.tmp/VERSIONS"
  touch "$bin.tmp/.complete"
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
fi
ln -sfn "$bin" "$cache/bin/current"
echo "$bin"
