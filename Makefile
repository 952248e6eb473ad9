# The two commands a new user needs (each does the whole set-up first):
#   make run    set up, build, and run the demo
#   make test   set up, build, and run the tests
# Everything is built in release: the tests run the transformer.
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/sluice

.PHONY: setup build run test bench soak clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product sluice

run: build
	$(BIN) up

# No test uses @testable: without testable imports the test build reuses the
# modules `build` compiled instead of compiling every package a second time.
test: build
	$(SWIFT) test -c $(CONFIG) --disable-testable-imports

bench: build
	$(BIN) bench kafka
	$(BIN) bench embed
	$(BIN) bench pipeline

# Not part of `test`: the shipped workflow for SOAK_SECONDS (default 600) at 60% of the
# capacity measured first; memory of every process and lost / duplicate ids (docs/soak.md).
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

clean:
	rm -rf .build
