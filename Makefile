# The two commands a new user needs (each does the whole set-up first):
#   make run    set up, build, and run the demo
#   make test   set up, build, and run the tests
# Everything is built in release: the tests run the transformer.
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/sluice

.PHONY: setup build run test bench clean

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

clean:
	rm -rf .build
