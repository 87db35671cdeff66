# edge-agent: the single entry point.
#   make                 host build of the agent (.build/release/edge-agent)
#   make run             the demo (installs what it needs)
#   make test            every test: unit, integration, firmware under qemu (selftest and the
#                        end-to-end scenarios), the demo, short fuzz run
#   make firmware BOARD=qemu-aarch64   static Embedded Swift firmware in out/<board>/edge-agent
#   make size            firmware sizes and their largest parts
#   make bench           benchmarks; figures go to BENCHMARKS.md
#   make fuzz            long fuzz runs
#   make lint            source rules the compilers do not check
# Every target installs what it needs on a fresh Debian 12 machine (Tools/install-host-deps.sh;
# the firmware toolchains cache their downloads and builds under build/).

SHELL := /bin/bash
.DEFAULT_GOAL := build
.PHONY: build run test unit-test demo-test host-deps lint bench fuzz fuzz-short image keygen clean distclean

BUILD_DIR ?= build
SWIFT ?= swift
GIT_REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
VERSION := $(shell cat VERSION)

host-deps:
	@Tools/install-host-deps.sh

build: host-deps
	$(SWIFT) build -c release -Xcc -DEDGE_GIT_REVISION=\"$(GIT_REVISION)\"
	@echo "built: $$($(SWIFT) build -c release --show-bin-path)/edge-agent"

# Unit and integration tests of the host build (the tests start their own mosquitto, pymodbus,
# socat pairs on loopback).
unit-test: host-deps
	$(SWIFT) build
	EDGE_AGENT_BINARY="$$($(SWIFT) build --show-bin-path)/edge-agent" $(SWIFT) test

test: lint unit-test firmware-test firmware-e2e demo-test fuzz-short
	@echo "make test: all passed"

# The demo (`make run`'s script) for 25 s with the host debug build; the cloud record is checked
# (Tools/demo/test-demo.sh). firmware-e2e runs the same with the firmware under qemu.
demo-test: host-deps
	$(SWIFT) build
	Tools/demo/test-demo.sh "$$($(SWIFT) build --show-bin-path)/edge-agent"

# A short libFuzzer run of the MQTT decoder (the long one is `make fuzz`).
fuzz-short: host-deps
	Fuzz/run.sh 20

# Ctrl-C is how the demo ends: its status 130 is not a make error.
run: build
	@Tools/demo.sh "$$($(SWIFT) build -c release --show-bin-path)/edge-agent" || [ $$? = 130 ]

# Source rules that the host compiler cannot check: Sources/ is compiled as Embedded Swift for
# the firmware, so no Foundation, Dispatch or Glibc there (the firmware build would catch it, but
# this names the file at once).
lint:
	@python3 Tools/lint.py

bench: build
	@Tools/bench.sh

fuzz: host-deps
	@if [ -x Fuzz/run.sh ]; then Fuzz/run.sh 600; else echo "no fuzz targets"; fi

# A signed OTA image of a board's firmware. KEY defaults to the TEST key in the test tree: real
# images are signed with a product key kept off this repository.
KEY ?= Tests/OTAFixtures/Keys/test-signing-key.pem
image:
	@test -n "$(BOARD)" || { echo "usage: make image BOARD=<board> VERSION=<x.y.z> [KEY=key.pem]"; exit 2; }
	$(MAKE) firmware BOARD=$(BOARD)
	python3 Tools/make-image.py build --key $(KEY) --board $(BOARD) --version $(VERSION) \
	    --input out/$(BOARD)/edge-agent --output out/$(BOARD)/edge-agent-$(VERSION).img
	@echo "image: out/$(BOARD)/edge-agent-$(VERSION).img"

# A new signing key pair: make keygen KEYDIR=/safe/place
keygen:
	@test -n "$(KEYDIR)" || { echo "usage: make keygen KEYDIR=<dir>"; exit 2; }
	mkdir -p $(KEYDIR) && python3 Tools/make-image.py keygen --private $(KEYDIR)/signing-key.pem --public $(KEYDIR)/signing-key.der

clean:
	rm -rf .build out $(BUILD_DIR)/firmware

distclean:
	rm -rf .build out $(BUILD_DIR)

# The firmware build (Toolchain/, Board/): firmware, firmware-test, size.
-include firmware.mk
