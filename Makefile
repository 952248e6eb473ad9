# The two commands a new user needs (each does the whole set-up first):
#   make run    set up, build, and run the demo
#   make test   set up, build, and run the tests
# Everything is built in release: the tests run the transformer.
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/sluice

.PHONY: setup build run test lint format check-deps example-test schemathesis bench bench-peers cpu-budget soak fuzz fuzz-build clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product sluice

run: build
	$(BIN) up

# No test uses @testable: without testable imports the test build reuses the
# modules `build` compiled instead of compiling every package a second time.
test: build check-deps lint
	$(SWIFT) test -c $(CONFIG) --disable-testable-imports
	@$(MAKE) --no-print-directory example-test
	@$(MAKE) --no-print-directory schemathesis

# schemathesis (installed by setup into .deps/schemathesis) against a live gateway:
# its default checks for SCHEMATHESIS_SECONDS (60); any failure it reports fails.
schemathesis: build
	SLUICE_BIN=$(BIN) scripts/schemathesis.sh

# The stage package of docs/writing-a-stage.md, a package of its own that depends on
# this one by path: proves a stage written outside Sluice builds and runs on the broker.
# It builds Sluice's sources again in its own .build (only the products it names).
EXAMPLE ?= Examples/KeywordStage
example-test: setup
	cd $(EXAMPLE) && $(SWIFT) build -c $(CONFIG) && $(SWIFT) test -c $(CONFIG) --disable-testable-imports

# The code's format (.swift-format): `make lint` checks it (make test does too),
# `make format` rewrites the files in place.
FORMAT_PATHS := Package.swift Sources Tests Examples
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMAT_PATHS)

format:
	$(SWIFT) format --in-place --recursive --parallel $(FORMAT_PATHS)

# Each target's dependencies in Package.swift are exactly the modules it imports.
check-deps:
	@scripts/check-deps.sh

bench: build
	$(BIN) bench kafka
	$(BIN) bench embed
	$(BIN) bench pipeline

# Not part of `test` or `run`: the peers of `bench embed` (ONNX Runtime, PyTorch) and of
# `bench pipeline` (confluent-kafka + sentence-transformers), pinned in a venv at
# .deps/peers (PyTorch is several GB; PEERS_TORCH=0 leaves it out). The benches run the
# python3 on PATH, so then:
#   PATH=.deps/peers/bin:$PATH .build/release/sluice bench embed   (or bench pipeline)
bench-peers:
	@scripts/setup-peers.sh

# Fuzzing (docs/fuzzing.md): each target runs FUZZ_SECONDS under libFuzzer and
# AddressSanitizer, starting from its seeds in Tests/FuzzCorpus/<target>. New inputs go
# to $(FUZZ_OUT)/corpus/<target> (the committed seeds are only read), crashes to
# $(FUZZ_OUT)/crashes/<target>. A debug build of its own, so that the release build
# stays uninstrumented. `make fuzz FUZZ_TARGETS=intake FUZZ_SECONDS=60` runs one for a minute.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= envelope workflow head-file intake
FUZZ_SCRATCH ?= .build-fuzz
FUZZ_OUT ?= $(FUZZ_SCRATCH)/out
# Past the input size of the largest seeds: head files carry base64 weights.
FUZZ_MAX_LEN ?= 8192
# SwiftPM links an executable's main to the module's own entry, so libFuzzer comes
# without its main(): Swift code gets coverage and ASan, C code (libyaml) too.
FUZZ_RUNTIME = $(firstword $(wildcard $(dir $(realpath $(shell command -v $(SWIFT))))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
FUZZ_FLAGS = -Xswiftc -DFUZZING -Xswiftc -sanitize=address \
	-Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table \
	-Xcc -fsanitize=address -Xcc -fsanitize=fuzzer-no-link -Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++
# Shell: the executable of $$target (a folder name under Tests/FuzzCorpus).
FUZZ_PRODUCT = case $$target in envelope) p=FuzzEnvelope;; workflow) p=FuzzWorkflow;; \
	head-file) p=FuzzHeadFile;; intake) p=FuzzIntake;; *) echo "unknown fuzz target $$target"; exit 1;; esac

fuzz-build: setup
	@test -n "$(FUZZ_RUNTIME)" || { echo "libclang_rt.fuzzer_no_main not found beside $(SWIFT)"; exit 1; }
	@for target in $(FUZZ_TARGETS); do $(FUZZ_PRODUCT); \
	  $(SWIFT) build -c debug --scratch-path $(FUZZ_SCRATCH) $(FUZZ_FLAGS) --product $$p || exit 1; \
	done

# Runs every target even after one crashed, then fails if any did. The Swift backtracer
# is off so that libFuzzer's own handler saves the crashing input; `timeout` bounds a
# run that libFuzzer could not stop (an input stuck in a loop is cut at 10 s by -timeout).
fuzz: fuzz-build
	@failed=""; for target in $(FUZZ_TARGETS); do $(FUZZ_PRODUCT); \
	  mkdir -p $(FUZZ_OUT)/corpus/$$target $(FUZZ_OUT)/crashes/$$target; \
	  echo "== fuzz $$target for $(FUZZ_SECONDS) s (log: $(FUZZ_OUT)/$$target.log)"; \
	  SWIFT_BACKTRACE=enable=no timeout $$(( $(FUZZ_SECONDS) + 120 )) \
	    $(FUZZ_SCRATCH)/debug/$$p -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_OUT)/crashes/$$target/ $(FUZZ_OUT)/corpus/$$target Tests/FuzzCorpus/$$target \
	    > $(FUZZ_OUT)/$$target.log 2>&1 || failed="$$failed $$target"; \
	  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|SUMMARY|.*Fatal error|Test unit written)' \
	    $(FUZZ_OUT)/$$target.log | tail -n 12; \
	done; \
	echo "crash inputs (if any): $(FUZZ_OUT)/crashes/<target>/; new inputs: $(FUZZ_OUT)/corpus/<target>/"; \
	[ -z "$$failed" ] || { echo "crashed or stopped early:$$failed"; exit 1; }

# Not part of `test`: CPU seconds per event of every process of `sluice up` fed at
# CPU_BUDGET_RATE (default 600, above the capacity of 2 cores) for 45 s (docs/benchmarks/cpu-budget.md).
CPU_BUDGET_RATE ?= 600
cpu-budget: build
	SLUICE_BIN=$(BIN) scripts/cpu-budget.py --rate $(CPU_BUDGET_RATE)

# Not part of `test`: the shipped workflow for SOAK_SECONDS (default 600) at 60% of the
# capacity measured first; memory of every process and lost / duplicate ids (docs/soak.md).
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

clean:
	rm -rf .build $(FUZZ_SCRATCH) $(EXAMPLE)/.build
