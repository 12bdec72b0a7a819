#!/usr/bin/env bash
# `make demo`: the whole product on one machine, in about a minute. A real kube-apiserver + etcd
# (testenv), the fake Mendix API, the operator, and a receiver behind `hookwright receive` that
# verifies signed deliveries. Run by `make demo` after hack/setup.sh; `make demo-check` runs it
# unattended (CI=true, no TTY) inside `make test`. Each key outcome is checked, not just shown:
# the script exits non-zero unless all of them are seen.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(tools/build.sh)
kubectl="$bin/kubectl"
echo "building the binaries the demo runs (hookwright, hookwright-fake-api, hookwright-testenv)"
cargo build --quiet --workspace --bins
hw=target/debug/hookwright
work=$(mktemp -d)
pids=()
checks=0
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "interrupted; tearing everything down" >&2; exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
logs() { for f in "$work"/*.log; do echo "--- ${f##*/} (last lines)" >&2; tail -n 20 "$f" >&2; done; }
die() { echo "demo FAILED: $*" >&2; logs; exit 1; }
# A child must keep running: if it died, say so with its log instead of waiting out a timeout.
alive() { # pid, what it is
  kill -0 "$1" 2>/dev/null || die "$2 exited early (its log is below)"
}
wait_for() { # description, pid to watch, command... (polls for up to 60 s)
  local what=$1 pid=$2; shift 2
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$pid" "the process behind $what"
    sleep 0.2
  done
  die "timed out waiting for $what"
}
check() { # description, command...: a key outcome of the demo, asserted
  local what=$1; shift
  "$@" >/dev/null 2>&1 || die "check failed: $what"
  checks=$((checks + 1))
  echo "   ok: $what"
}

step "Starting a real kube-apiserver + etcd on loopback"
target/debug/hookwright-testenv > "$work/testenv.json" 2> "$work/testenv.log" & pids+=($!)
wait_for "the control plane" $! test -s "$work/testenv.json"
export KUBECONFIG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubeconfig"])' "$work/testenv.json")
$kubectl version | sed 's/^/   /'

step "Starting the fake Mendix Webhooks API"
app=76ef1b0f-4050-4810-a159-cb419268636c
token="demo-pat-$(date +%s)"
printf '[{"token": "%s", "scopes": ["mx:webhook:read", "mx:webhook:write"], "apps": ["%s"]}]\n' "$token" "$app" > "$work/tokens.json"
fake_port=$(free_port)
target/debug/hookwright-fake-api --addr "127.0.0.1:$fake_port" --tokens-file "$work/tokens.json" 2> "$work/fake.log" & pids+=($!)
fake="http://127.0.0.1:$fake_port"
wait_for "the fake API" $! curl -sf "$fake/_admin/webhooks"
echo "   $fake/api/v1 (admin: $fake/_admin)"

step "Installing the CRDs and starting the operator"
$kubectl apply --server-side -f crds/ | sed 's/^/   /'
$kubectl wait --for=condition=Established crd --all --timeout=30s >/dev/null
metrics_port=$(free_port)
$hw run --drift-interval 5s --metrics-addr "127.0.0.1:$metrics_port" 2> "$work/operator.log" & pids+=($!)
operator=$!
wait_for "operator readiness" $operator curl -sf "http://127.0.0.1:$metrics_port/readyz"

step "Starting a receiver app behind 'hookwright receive' (verifies every delivery)"
up_port=$(free_port); recv_port=$(free_port)
python3 - "$up_port" > "$work/upstream.log" 2>&1 <<'PY' & pids+=($!)
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        print("upstream got a verified delivery:", body.decode()[:200], flush=True)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
upstream=$!

step "Applying a WebhookProvider (token in a Secret) and a Webhook"
$kubectl create namespace team-a >/dev/null
$kubectl -n team-a create secret generic mendix-pat --from-literal=token="$token" >/dev/null
cat <<YAML | tee "$work/demo.yaml" | sed 's/^/   /'
apiVersion: hookwright.dev/v1alpha1
kind: WebhookProvider
metadata: {name: mendix, namespace: team-a}
spec:
  mendix:
    baseUrl: $fake/api/v1
    tokenSecretRef: {name: mendix-pat, key: token}
---
apiVersion: hookwright.dev/v1alpha1
kind: Webhook
metadata: {name: build-notifier, namespace: team-a}
spec:
  providerRef: {kind: WebhookProvider, name: mendix}
  mendix: {appId: $app}
  url: http://127.0.0.1:$recv_port/hooks/mendix
  eventTypes: [package.uploaded, teamserver.push]
  headers:
    - {name: X-Team, value: team-a}
YAML
$kubectl apply -f "$work/demo.yaml" | sed 's/^/   /'
alive $operator "the operator"
$kubectl -n team-a wait --for=condition=Ready webhook/build-notifier --timeout=60s | sed 's/^/   /' \
  || die "the Webhook did not become Ready"
$kubectl -n team-a get webhooks,webhookproviders | sed 's/^/   /'
id=$($kubectl -n team-a get webhook build-notifier -o jsonpath='{.status.webhookId}')
remote() { curl -sf "$fake/_admin/apps/$app/webhooks/$id"; }
echo "   remote webhook at the fake API:"
remote | python3 -c 'import json,sys; d=json.load(sys.stdin); d["validationSecret"]="<hidden>"; print("   ", json.dumps(d))'
check "the Webhook is Ready with the id $id, and that webhook exists remotely" \
  sh -c "[ -n '$id' ] && curl -sf '$fake/_admin/apps/$app/webhooks/$id'"

step "The generated validation secret lives in an owned Secret; the receiver mounts it"
$kubectl -n team-a get secret build-notifier-validation-secret -o jsonpath='{.data.secret}' | base64 -d > "$work/secret"
$hw receive --listen "127.0.0.1:$recv_port" --upstream "http://127.0.0.1:$up_port" --secret-file "$work/secret" > /dev/null 2> "$work/receive.log" & pids+=($!)
wait_for "the receiver" $! curl -s -o /dev/null "http://127.0.0.1:$recv_port/livez"

step "Mendix emits a package.uploaded event: signed delivery -> verified -> forwarded"
curl -sf -X POST "$fake/_admin/events" -H 'content-type: application/json' -d "{\"appId\": \"$app\", \"eventType\": \"package.uploaded\"}" >/dev/null
wait_for "the verified delivery" $upstream grep -q "verified delivery" "$work/upstream.log"
sed 's/^/   /' "$work/upstream.log"
curl -s "http://127.0.0.1:$recv_port/metrics" | grep -E '^hookwright_receive' | sed 's/^/   /' || true
check "the signed delivery was verified by 'hookwright receive' and reached the receiver app" \
  grep -q '"package.uploaded"\|package.uploaded' "$work/upstream.log"

step "Someone edits the webhook in the portal; the drift check repairs it"
curl -sf -X PATCH "$fake/_admin/apps/$app/webhooks/$id" -H 'content-type: application/json' -d '{"url": "https://elsewhere.example.com/"}' >/dev/null
wait_for "drift repair" $operator sh -c "$kubectl -n team-a get events --field-selector reason=DriftRepaired -o name | grep -q ."
$kubectl -n team-a get events --field-selector reason=DriftRepaired -o custom-columns=REASON:.reason,MESSAGE:.message | sed 's/^/   /'
check "the portal edit was reverted: the remote URL is the spec's again" \
  sh -c "curl -sf '$fake/_admin/apps/$app/webhooks/$id' | grep -q '127.0.0.1:$recv_port/hooks/mendix'"

step "Deleting the Webhook deletes the remote webhook"
$kubectl -n team-a delete webhook build-notifier --wait=true --timeout=60s | sed 's/^/   /'
left=$(curl -sf "$fake/_admin/webhooks" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["webhooks"]))')
echo "   remote webhooks left: $left"
check "the remote webhook is gone after the Webhook was deleted" test "$left" = 0
echo "   API calls the operator made:"
curl -s "$fake/_admin/requests" | python3 -c 'import json,sys; [print("     %-6s %-40s %s x%d" % (r["method"], r["route"], r["status"], r["count"])) for r in json.load(sys.stdin)["requests"]]'
step "Demo done: $checks of 4 key outcomes seen; everything is torn down."
[ "$checks" = 4 ] || die "expected 4 checks to pass, $checks did"
