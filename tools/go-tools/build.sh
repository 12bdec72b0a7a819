#!/usr/bin/env bash
# Builds the release tools that `make test` and the release workflow run, from the Go module
# proxy, pinned by the go.mod/go.sum files in the folders beside this script:
#   - actionlint (github.com/rhysd/actionlint): checks .github/workflows/*.yml (`make actionlint`)
#   - crane (github.com/google/go-containerregistry): serves a loopback registry in the image
#     test and pushes the OCI layout of `make image` (tests/chart/image.rs, release.yml)
# Like tools/build.sh (whose cache key covers only tools/*/go.mod, so these pins live one level
# deeper and changing them does not rebuild the control plane), binaries are cached under
# ~/.cache/hookwright/go-tools/<hash>/ and rebuilt only when a pin, this script or the Go version
# changes; Go's module and build caches are shared with tools/build.sh.
# Prints the binary directory on stdout. `--path` prints it without building (set-up uses that to
# tell whether there is work to do).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=-mod=readonly
export GOMODCACHE=${GOMODCACHE:-$cache/go/mod} GOCACHE=${GOCACHE:-$cache/go/build}

tools=(actionlint:github.com/rhysd/actionlint/cmd/actionlint crane:github.com/google/go-containerregistry/cmd/crane)
key=$( (cat "$here"/*/go.mod "$here"/*/go.sum "$0"; go version) | sha256sum | cut -c1-10)
bin="$cache/go-tools/$key"
if [ "${1:-}" = --path ]; then
  echo "$bin"
  exit 0
fi

if [ ! -f "$bin/.complete" ]; then
  rm -rf "$bin.tmp" && mkdir -p "$bin.tmp" "$cache/logs"
  log="$cache/logs/go-tools-$(date -u +%Y%m%dT%H%M%SZ).log"
  start=$(date +%s)
  for t in "${tools[@]}"; do
    name=${t%%:*} pkg=${t#*:}
    dir="$here/$name"
    version=$(cd "$dir" && go list -m -f '{{.Version}}' "$(go list -f '{{.Module.Path}}' "$pkg" 2>>"$log")" 2>>"$log")
    echo "go tools: building $name $version ($pkg) from the Go module proxy" >&2
    echo "=== $name $version ($pkg)" >>"$log"
    if ! (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$bin.tmp/$name" "$pkg") >>"$log" 2>&1; then
      echo "go tools: building $name failed; the last lines of $log:" >&2
      tail -n 25 "$log" >&2
      exit 1
    fi
    printf '%s=%s\n' "$name" "$version" >>"$bin.tmp/VERSIONS"
  done
  touch "$bin.tmp/.complete"
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
  echo "go tools: built in $(($(date +%s) - start))s ($bin)" >&2
fi
echo "$bin"
