#!/usr/bin/env bash
# The one set-up step of `make demo`, `make test` and `.ci/run`: installs or builds whatever
# this machine lacks, and is a quick no-op when everything is there.
#   - Rust components rustfmt and clippy, and the musl targets for amd64 (`make static`) and
#     arm64 (`make image`)
#   - Debian packages: musl-tools (musl-gcc), lua5.1 and lua5.4 (the Argo CD health script test);
#     for `make image` and its test gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (the arm64
#     cross compiler) and qemu-user-static (runs the arm64 binary); shellcheck (for actionlint)
#   - the control plane (kube-apiserver, kube-controller-manager, kubectl, etcd, helm), built
#     from the Go module proxy by tools/build.sh and cached under ~/.cache/hookwright/bin
#   - the Python venv with the test tools (tools/requirements.txt), cached likewise
#   - actionlint and crane, built from the Go module proxy by tools/go-tools/build.sh
#   - Debian's ca-certificates package, the image's CA bundle (tools/image/ca-certificates.sh)
# Output of the long steps goes to log files under ~/.cache/hookwright/logs, named on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOOKWRIGHT_CACHE=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
logs="$HOOKWRIGHT_CACHE/logs"
mkdir -p "$logs"
start=$(date +%s)

say() { echo "setup: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1; }
run_logged() { # description, log name, command... (output to the log; its tail on failure)
  local what=$1 log="$logs/$2.log"; shift 2
  say "$what"
  if ! "$@" >"$log" 2>&1; then
    say "FAILED: $what; the last lines of $log:"
    tail -n 20 "$log" >&2
    say "full log: $log"
    exit 1
  fi
}

missing=()
for tool in go cargo rustc python3 make git curl openssl; do need "$tool" || missing+=("$tool"); done
if ((${#missing[@]})); then
  say "missing required tools: ${missing[*]} (this project needs Go, Rust, Python 3, make, git, curl and openssl)"
  exit 1
fi

if need rustup; then
  installed=$(rustup component list --installed 2>/dev/null)
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$installed" || run_logged "adding the Rust component $c" "rustup-$c" rustup component add "$c"
  done
  targets=$(rustup target list --installed 2>/dev/null)
  for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    grep -qx "$t" <<<"$targets" || run_logged "adding the Rust target $t" "rustup-$t" rustup target add "$t"
  done
fi

pkgs=()
need musl-gcc || pkgs+=(musl-tools)
need lua5.1 || pkgs+=(lua5.1)
need lua5.4 || pkgs+=(lua5.4)
need aarch64-linux-gnu-gcc || pkgs+=(gcc-aarch64-linux-gnu)
[ -f /usr/aarch64-linux-gnu/include/string.h ] || pkgs+=(libc6-dev-arm64-cross)
need qemu-aarch64-static || pkgs+=(qemu-user-static)
need shellcheck || pkgs+=(shellcheck)
if ((${#pkgs[@]})); then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    need sudo || { say "need root (or sudo) to install the Debian packages ${pkgs[*]}"; exit 1; }
    sudo=(sudo)
  fi
  install_pkgs() { "${sudo[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}"; }
  run_logged "installing Debian packages: ${pkgs[*]}" apt install_pkgs
fi

# The control plane: tools/build.sh shows its own progress and is silent when cached.
bin=$(tools/build.sh)
[ -f "$bin/.complete" ] || { say "control plane missing in $bin"; exit 1; }

venv=$(tools/venv.sh)

gotools=$(tools/go-tools/build.sh --path)
[ -f "$gotools/.complete" ] \
  || run_logged "building actionlint and crane from the Go module proxy (tools/go-tools)" go-tools tools/go-tools/build.sh
[ -n "$(tools/image/ca-certificates.sh --path)" ] \
  || run_logged "fetching Debian's ca-certificates package (the image's CA bundle)" ca-certificates tools/image/ca-certificates.sh

say "ready in $(($(date +%s) - start))s (control plane: $bin, venv: $venv)"
