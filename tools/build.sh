#!/usr/bin/env bash
# Builds the control-plane binaries hookwright's tests run against (kube-apiserver,
# kube-controller-manager, kubectl, etcd, helm) from the Go module proxy, pinned by the
# go.mod/go.sum files beside this script. Binaries are cached under
# ~/.cache/hookwright/bin/<k8s-version>-<hash>/ and rebuilt only when a pin (or this script, or
# the Go version) changes. Prints the binary directory on stdout; progress (which binary, elapsed
# time) goes to stderr, and the Go tool's own output to a log file named on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=-mod=readonly
export GOMODCACHE=${GOMODCACHE:-$cache/go/mod} GOCACHE=${GOCACHE:-$cache/go/build}

modversion() { # module dir, module path -> pinned version
  (cd "$here/$1" && go list -m -f '{{.Version}}' "$2")
}
key=$( (cat "$here"/*/go.mod "$here"/*/go.sum "$0"; go version) | sha256sum | cut -c1-10)
k8s=$(modversion kube k8s.io/kubernetes)
bin="$cache/bin/$k8s-$key"

if [ ! -f "$bin/.complete" ]; then
  etcd=$(modversion etcd go.etcd.io/etcd/server/v3)
  helm=$(modversion helm helm.sh/helm/v3)
  mkdir -p "$bin.tmp" "$cache/logs"
  log="$cache/logs/control-plane-$(date -u +%Y%m%dT%H%M%SZ).log"
  echo "control plane: building Kubernetes $k8s, etcd $etcd and helm $helm from the Go module proxy" >&2
  echo "  (first time only, about 7-10 minutes on 2 cores; cached in $bin; Go output in $log)" >&2
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  minor=$(echo "$k8s" | cut -d. -f2)
  kv=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kv="$kv -X $p.gitVersion=$k8s -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    kv="$kv -X $p.gitTreeState=clean -X $p.buildDate=$date -X $p.gitCommit=module-proxy"
  done
  start=$(date +%s)
  n=0 total=5
  build() { # module dir, package, output name, extra ldflags
    n=$((n + 1))
    local t=$(date +%s)
    echo "=== [$n/$total] $3 ($2)" >>"$log"
    (cd "$here/$1" && go build -trimpath -ldflags "-s -w $4" -o "$bin.tmp/$3" "$2") >>"$log" 2>&1 &
    local pid=$!
    local i=0
    [ -t 2 ] || printf '  [%d/%d] building %s\n' "$n" "$total" "$3" >&2
    while kill -0 "$pid" 2>/dev/null; do # progress ticker: a live line on a terminal, else every 30 s
      if [ -t 2 ]; then printf '\r  [%d/%d] building %-24s %4ds' "$n" "$total" "$3" "$i" >&2
      elif ((i > 0 && i % 30 == 0)); then printf '  [%d/%d] still building %s, %ds\n' "$n" "$total" "$3" "$i" >&2; fi
      sleep 1
      i=$((i + 1))
    done
    [ -t 2 ] && printf '\r' >&2
    if ! wait "$pid"; then
      echo "control plane: building $3 failed; the last lines of $log:" >&2
      tail -n 25 "$log" >&2
      echo "control plane: full log: $log" >&2
      exit 1
    fi
    printf '  [%d/%d] built %-24s in %ds\n' "$n" "$total" "$3" "$(($(date +%s) - t))" >&2
  }
  build kube k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$kv"
  build kube k8s.io/kubernetes/cmd/kube-controller-manager kube-controller-manager "$kv"
  build kube k8s.io/kubernetes/cmd/kubectl kubectl "$kv"
  build etcd go.etcd.io/etcd/server/v3 etcd ""
  build helm helm.sh/helm/v3/cmd/helm helm "-X helm.sh/helm/v3/internal/version.version=$helm"
  printf 'kubernetes=%s\netcd=%s\nhelm=%s\n' "$k8s" "$etcd" "$helm" > "$bin.tmp/VERSIONS"
  touch "$bin.tmp/.complete"
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
  echo "control plane: built in $(($(date +%s) - start))s" >&2
fi
ln -sfn "$bin" "$cache/bin/current"
echo "$bin"
