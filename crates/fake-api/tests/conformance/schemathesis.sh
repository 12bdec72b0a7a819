#!/usr/bin/env bash
# Property-based conformance of hookwright-fake-api against its OpenAPI description:
#   schemathesis.sh [mendix]   openapi/mendix-webhooks.yaml   (crates/fake-api/tests/fake_api.rs)
#   schemathesis.sh socotra    openapi/socotra-webhooks.yaml  (crates/fake-api/tests/fake_socotra.rs)
#
# Starts the fake binary on a free loopback port with one token that may do everything in one
# app/tenant, runs schemathesis (from the venv of tools/venv.sh) with every check, bounded
# examples, and exits non-zero on any failure. Part of `make test` through those tests.
#
# Environment:
#   HOOKWRIGHT_VENV           venv with schemathesis (default: output of tools/venv.sh)
#   HOOKWRIGHT_FAKE_API_BIN   the fake binary (default: cargo build -p hookwright-fake-api)
#   SCHEMATHESIS_MAX_EXAMPLES examples per operation and phase (default 50)
#   SCHEMATHESIS_SEED         seed, for reproducible runs (default 4242; "random" for a fresh one)
set -euo pipefail

# This script lives in crates/fake-api/tests/conformance/; the repository root is four up.
root=$(cd "$(dirname "$0")/../../../.." && pwd)
provider=${1:-mendix}
case "$provider" in mendix | socotra) ;; *) echo "usage: $0 [mendix|socotra]" >&2; exit 2 ;; esac
venv=${HOOKWRIGHT_VENV:-$("$root/tools/venv.sh")}
bin=${HOOKWRIGHT_FAKE_API_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --quiet -p hookwright-fake-api --bin hookwright-fake-api)
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/hookwright-fake-api"
fi
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
seed=${SCHEMATHESIS_SEED:-4242}

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

token="conformance-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
if [ "$provider" = mendix ]; then
  app=76ef1b0f-4050-4810-a159-cb419268636c
  spec="$root/openapi/mendix-webhooks.yaml"
  auth="MxToken $token"
  cat >"$work/tokens.json" <<EOF
[{"token": "$token", "scopes": ["mx:webhook:read", "mx:webhook:write"], "apps": ["$app"]}]
EOF
  # The app id is pinned to the one app the token may use, so generated requests reach the
  # handlers instead of stopping at 404 "App not found"; the cursor is pinned to "" (first page)
  # because cursors are opaque server-issued values (paging is exercised by the stateful links).
  cat >"$work/schemathesis.toml" <<EOF
[parameters]
"path.app-id" = "$app"

[[operations]]
include-operation-id = "list-webhooks"
parameters = { "query.cursor" = "" }
EOF
else
  tenant=0f5e1b5c-8a61-4c1e-9d7e-2b0b7f6b9a10
  spec="$root/openapi/socotra-webhooks.yaml"
  auth="Bearer $token"
  cat >"$work/tokens.json" <<EOF
[{"token": "$token", "permissions": ["read", "list", "write"], "tenants": ["$tenant"]}]
EOF
  # The tenant is pinned to the one tenant the token may use, so generated requests reach the
  # handlers instead of stopping at 404 "Tenant not found".
  cat >"$work/schemathesis.toml" <<EOF
[parameters]
"path.tenantLocator" = "$tenant"
EOF
fi

: >"$work/stdout"
"$bin" --provider "$provider" --addr 127.0.0.1:0 --tokens-file "$work/tokens.json" --rate-limit-per-hour 100000000 \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!

api=""
for _ in $(seq 1 300); do
  api=$(sed -n 's/.* api=\([^ ]*\).*/\1/p' "$work/stdout" | head -1 || true)
  [ -n "$api" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "fake exited early:" >&2; cat "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "$api" ] || { echo "fake did not report its address" >&2; cat "$work/stderr" >&2; exit 1; }
echo "fake $provider API at $api"

seed_args=(--seed "$seed")
[ "$seed" = "random" ] && seed_args=()

cd "$work"
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$spec" \
  --url "$api" \
  --header "Authorization: $auth" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  "${seed_args[@]}" \
  --workers 1 \
  --generation-database none \
  --suppress-health-check filter_too_much \
  --no-color
