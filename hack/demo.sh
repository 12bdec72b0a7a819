#!/usr/bin/env bash
# `make demo`: the whole product on one machine, in about a minute, with nothing to install
# beyond what `make test` builds. A real kube-apiserver + etcd (testenv), the fake Mendix API,
# the operator, and a receiver behind `hookwright receive` that verifies signed deliveries.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(tools/build.sh)
kubectl="$bin/kubectl"
cargo build --quiet --bins
hw=target/debug/hookwright
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "timed out waiting for $what; logs in $work are removed on exit:" >&2; tail -n 20 "$work"/*.log >&2; return 1
}

step "Starting a real kube-apiserver + etcd on loopback"
target/debug/hookwright-testenv > "$work/testenv.json" 2> "$work/testenv.log" & pids+=($!)
wait_for "the control plane" test -s "$work/testenv.json"
export KUBECONFIG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubeconfig"])' "$work/testenv.json")
$kubectl version | sed 's/^/   /'

step "Starting the fake Mendix Webhooks API"
app=76ef1b0f-4050-4810-a159-cb419268636c
token="demo-pat-$(date +%s)"
printf '[{"token": "%s", "scopes": ["mx:webhook:read", "mx:webhook:write"], "apps": ["%s"]}]\n' "$token" "$app" > "$work/tokens.json"
fake_port=$(free_port)
target/debug/hookwright-fake-api --addr "127.0.0.1:$fake_port" --tokens-file "$work/tokens.json" 2> "$work/fake.log" & pids+=($!)
fake="http://127.0.0.1:$fake_port"
wait_for "the fake API" curl -sf "$fake/_admin/webhooks"
echo "   $fake/api/v1 (admin: $fake/_admin)"

step "Installing the CRDs and starting the operator"
$kubectl apply --server-side -f crds/ | sed 's/^/   /'
$kubectl wait --for=condition=Established crd --all --timeout=30s >/dev/null
metrics_port=$(free_port)
$hw run --drift-interval 5s --metrics-addr "127.0.0.1:$metrics_port" 2> "$work/operator.log" & pids+=($!)
wait_for "operator readiness" curl -sf "http://127.0.0.1:$metrics_port/readyz"

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
$kubectl -n team-a wait --for=condition=Ready webhook/build-notifier --timeout=60s | sed 's/^/   /'
$kubectl -n team-a get webhooks,webhookproviders | sed 's/^/   /'
id=$($kubectl -n team-a get webhook build-notifier -o jsonpath='{.status.webhookId}')
echo "   remote webhook at the fake API:"
curl -s "$fake/_admin/apps/$app/webhooks/$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["validationSecret"]="<hidden>"; print("   ", json.dumps(d))'

step "The generated validation secret lives in an owned Secret; the receiver mounts it"
$kubectl -n team-a get secret build-notifier-validation-secret -o jsonpath='{.data.secret}' | base64 -d > "$work/secret"
$hw receive --listen "127.0.0.1:$recv_port" --upstream "http://127.0.0.1:$up_port" --secret-file "$work/secret" > /dev/null 2> "$work/receive.log" & pids+=($!)
wait_for "the receiver" curl -s -o /dev/null "http://127.0.0.1:$recv_port/livez"

step "Mendix emits a package.uploaded event: signed delivery -> verified -> forwarded"
curl -sf -X POST "$fake/_admin/events" -H 'content-type: application/json' -d "{\"appId\": \"$app\", \"eventType\": \"package.uploaded\"}" >/dev/null
wait_for "the verified delivery" grep -q "verified delivery" "$work/upstream.log"
sed 's/^/   /' "$work/upstream.log"
curl -s "http://127.0.0.1:$recv_port/metrics" | grep -E '^hookwright_receive' | sed 's/^/   /' || true

step "Someone edits the webhook in the portal; the drift check repairs it"
curl -sf -X PATCH "$fake/_admin/apps/$app/webhooks/$id" -H 'content-type: application/json' -d '{"url": "https://elsewhere.example.com/"}' >/dev/null
wait_for "drift repair" sh -c "$kubectl -n team-a get events --field-selector reason=DriftRepaired -o name | grep -q ."
$kubectl -n team-a get events --field-selector reason=DriftRepaired -o custom-columns=REASON:.reason,MESSAGE:.message | sed 's/^/   /'

step "Deleting the Webhook deletes the remote webhook"
$kubectl -n team-a delete webhook build-notifier --wait=true --timeout=60s | sed 's/^/   /'
echo "   remote webhooks left: $(curl -s "$fake/_admin/webhooks" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["webhooks"]))')"
echo "   API calls the operator made:"
curl -s "$fake/_admin/requests" | python3 -c 'import json,sys; [print("     %-6s %-40s %s x%d" % (r["method"], r["route"], r["status"], r["count"])) for r in json.load(sys.stdin)["requests"]]'
step "Demo done; everything is torn down."
