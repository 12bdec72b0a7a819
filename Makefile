# hookwright — the two commands of the project are `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
# End-to-end tests mostly wait on servers; run more of them at once than there are cores.
TEST_THREADS ?= 8
export HOOKWRIGHT_CACHE ?= $(HOME)/.cache/hookwright

.PHONY: setup test fmt-check clippy cargo-test tools venv demo demo-check fuzz crds

## setup: install or build whatever this machine lacks (Rust components, musl target and
## musl-tools, Lua, the Go-built control plane, the Python venv); a quick no-op when all is there.
## `make test`, `make demo` and `.ci/run` all start with it.
setup:
	@hack/setup.sh

## test: everything CI checks (format, lints, static build, the two-architecture image with the
## cheap profile, chart package, workflow lint, unit + integration + end-to-end tests, and the
## demo run unattended)
test: setup
	@$(MAKE) --no-print-directory IMAGE_PROFILE=static fmt-check clippy static image chart-package actionlint helm-lint cargo-test demo-check

## tools: build (or reuse from cache) kube-apiserver, etcd, kubectl and helm
tools:
	@bin=$$(tools/build.sh) && echo "control plane: $$bin" && $$bin/kube-apiserver --version && $$bin/etcd --version | head -1 \
	  && $$bin/kubectl version --client | head -1 && echo "helm $$($$bin/helm version --short)"

## venv: Python test tools (schemathesis, standardwebhooks)
venv:
	@tools/venv.sh >/dev/null

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cargo-test:
	HOOKWRIGHT_VENV=$$(tools/venv.sh) $(CARGO) test --workspace --no-fail-fast -- --test-threads=$(TEST_THREADS)

## fuzz: the proptest properties named fuzz_* (signature header parsing and verification; provider
## rate-limit headers and response bodies) with many more cases
## than the 256 each that `make test` runs; FUZZ_CASES=... to change
FUZZ_CASES ?= 100000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --lib fuzz_

## crds: regenerate crds/<singular>.yaml from the Rust types (splits `hookwright crd` per document)
crds:
	@mkdir -p crds target
	$(CARGO) run --quiet --bin hookwright -- crd > target/crds.yaml
	@rm -f crds/*.yaml
	@awk 'function flush() { if (n == 0) return; if (name == "") { print "make crds: document without spec.names.singular" > "/dev/stderr"; exit 1 } \
	    f = "crds/" name ".yaml"; printf "%s", buf > f; close(f); print "wrote " f; buf = ""; n = 0; name = "" } \
	  /^---$$/ { flush(); next } \
	  { buf = buf $$0 "\n"; n++ } \
	  /^    singular: / { name = $$2 } \
	  END { flush() }' target/crds.yaml
	@$(MAKE) --no-print-directory chart-crds >/dev/null
	@$(MAKE) --no-print-directory api-docs

## api-docs: regenerate docs/api.md, the API reference, from the CRD schemas (`hookwright crd --reference`)
.PHONY: api-docs
api-docs:
	$(CARGO) run --quiet --bin hookwright -- crd --reference > docs/api.md

## bench: issue 14's benchmark at BENCH_N = 1,000 Webhooks (under 5 minutes; not part of `make test`):
## the release binary against the real control plane and the fake Mendix API (BENCH_LATENCY_MS
## per call, operator --concurrency BENCH_C). Measures the floor in the same run, convergence
## against it, apiserver writes and remote calls per create/edit/delete/rotation/no-op/restart,
## edit-to-PUT latency, RSS, idle CPU and drift calls (see bench/README.md). Writes
## bench/results/<N>.json, bench/results/bench.png and the tables in bench/README.md and README.md.
## bench-full: the same at 10,000 Webhooks, a 3-minute idle window, 30,000 unrelated Secrets (under 20 minutes).
BENCH_N ?= 1000
BENCH_C ?= 64
BENCH_LATENCY_MS ?= 100
BENCH_IDLE_SECS ?= 30
BENCH_DRIFT_SECS ?= 20
BENCH_DRIFT_WINDOW_SECS ?= 72
BENCH_SECRETS ?= $(shell echo $$((3 * $(BENCH_N))))
.PHONY: bench bench-full bench-run
bench: setup
	@$(MAKE) --no-print-directory bench-run

bench-full: setup
	@$(MAKE) --no-print-directory bench-run BENCH_N=10000 BENCH_IDLE_SECS=180 BENCH_DRIFT_SECS=60 BENCH_DRIFT_WINDOW_SECS=180 BENCH_SECRETS=30000

bench-run:
	$(CARGO) build --release --bin hookwright
	@venv=$$(tools/venv.sh tools/bench-requirements.txt) \
	  && HOOKWRIGHT_BENCH_N=$(BENCH_N) HOOKWRIGHT_BENCH_CONCURRENCY=$(BENCH_C) HOOKWRIGHT_BENCH_LATENCY_MS=$(BENCH_LATENCY_MS) \
	    HOOKWRIGHT_BENCH_IDLE_SECS=$(BENCH_IDLE_SECS) HOOKWRIGHT_BENCH_DRIFT_SECS=$(BENCH_DRIFT_SECS) HOOKWRIGHT_BENCH_DRIFT_WINDOW_SECS=$(BENCH_DRIFT_WINDOW_SECS) \
	    HOOKWRIGHT_BENCH_SECRETS=$(BENCH_SECRETS) HOOKWRIGHT_OPERATOR_BIN=$(CURDIR)/target/release/hookwright \
	    $(CARGO) bench --bench throughput \
	  && $$venv/bin/python bench/report.py >/dev/null && echo "bench: bench/results/$(BENCH_N).json, bench/results/bench.png, bench/README.md"

## soak: the one-remote-webhook promise under stress, with the release binary: 2,000 Webhooks
## applied before the operator starts (concurrency 64, 100 ms provider latency: exactly 2,000
## POSTs, no LIST), then 300 crash-loop steps (kill -9 of two leader-electing replicas during
## creates, edits, deletes and portal deletes, with lost create answers and 5xx faults).
## `make test` runs the same tests with 300 Webhooks and 20 steps. Results: target/tmp/soak-results.json
SOAK_ITERATIONS ?= 300
SOAK_SCALE_N ?= 2000
.PHONY: soak
soak: setup
	$(CARGO) build --release --bin hookwright
	HOOKWRIGHT_OPERATOR_BIN=$(CURDIR)/target/release/hookwright HOOKWRIGHT_SCALE_N=$(SOAK_SCALE_N) \
	  $(CARGO) test --test one_remote_at_scale -- --nocapture
	HOOKWRIGHT_OPERATOR_BIN=$(CURDIR)/target/release/hookwright HOOKWRIGHT_SOAK_ITERATIONS=$(SOAK_ITERATIONS) \
	  $(CARGO) test --test soak -- --nocapture

## demo: the operator end to end on this machine (control plane, fake Mendix API, receiver)
demo: setup
	@hack/demo.sh

## demo-check: the demo unattended (no TTY, CI=true), failing unless each of its key outcomes
## is seen (Ready with an id, verified delivery, drift repaired, remote webhook gone)
demo-check: setup
	@CI=true hack/demo.sh </dev/null

# --- packaging: static binary, container image, Helm chart ---
.PHONY: static image docker-image chart-crds chart-package helm-lint actionlint
MUSL_TARGET := x86_64-unknown-linux-musl
STATIC_BIN := target/$(MUSL_TARGET)/static/hookwright
IMAGE ?= hookwright:dev

## static: the static musl binary the Dockerfile's build stage makes (profile `static`: dev
## optimisation, no debug info, so CI proves it compiles without a release build)
static:
	@command -v musl-gcc >/dev/null || { echo "make static: musl-gcc not found (apt-get install musl-tools)" >&2; exit 1; }
	@rustup target list --installed 2>/dev/null | grep -qx $(MUSL_TARGET) || rustup target add $(MUSL_TARGET)
	CC_x86_64_unknown_linux_musl=musl-gcc $(CARGO) build --profile static --target $(MUSL_TARGET) --bin hookwright
	@if readelf -lW $(STATIC_BIN) | grep -q 'Requesting program interpreter'; then echo "$(STATIC_BIN) is not static" >&2; exit 1; fi
	@echo "static binary: $(STATIC_BIN) ($$(du -h $(STATIC_BIN) | cut -f1))" && $(STATIC_BIN) version

## image: the container image without a container engine (hack/image.sh): static musl binaries for
## linux/amd64 and linux/arm64 (cargo profile IMAGE_PROFILE), each with the CA bundle on an empty
## base, as one multi-arch OCI layout in target/image/oci; prints its digest and sizes
IMAGE_PROFILE ?= release
image:
	@IMAGE_PROFILE=$(IMAGE_PROFILE) hack/image.sh

## docker-image: the same image with Docker from the Dockerfile (IMAGE=hookwright:dev); needs a Docker engine
docker-image:
	@docker info >/dev/null 2>&1 || { echo "make docker-image: no Docker engine is reachable (docker info failed);"; \
	  echo "  'make image' builds the same image without one."; exit 2; }
	docker build --build-arg REVISION=$$(git rev-parse HEAD) -t $(IMAGE) .

## chart-crds: copy crds/ into the Helm chart (tests/chart.rs fails when they differ)
chart-crds:
	@rm -f charts/hookwright/crds/*.yaml && cp crds/*.yaml charts/hookwright/crds/ && ls charts/hookwright/crds/

## chart-package: helm package charts/hookwright into target/chart (what a release pushes)
chart-package:
	@$$(tools/build.sh)/helm package charts/hookwright -d target/chart

## actionlint: check .github/workflows/*.yml (actionlint built by tools/go-tools/build.sh; it runs
## shellcheck, from hack/setup.sh, on the run: scripts)
actionlint:
	@$$(tools/go-tools/build.sh)/actionlint .github/workflows/ci.yml .github/workflows/release.yml && echo "actionlint: workflows ok"

## helm-lint: helm lint --strict with the default values and each charts/hookwright/ci/*-values.yaml
helm-lint:
	@helm=$$(tools/build.sh)/helm && $$helm lint --strict charts/hookwright \
	  && for v in charts/hookwright/ci/*-values.yaml; do $$helm lint --strict charts/hookwright -f $$v || exit 1; done
