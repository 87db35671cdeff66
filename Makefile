# edge-agent: the single entry point.
#   make                 host build of the agent (.build/release/edge-agent)
#   make run             the demo (installs what it needs)
#   make test            every test: unit, integration, firmware under qemu (selftest, the
#                        end-to-end scenarios, OTA upgrades of the test-key firmware), the demo,
#                        short fuzz run
#   make firmware BOARD=qemu-aarch64   static Embedded Swift firmware in out/<board>/edge-agent
#   make size            firmware sizes and their largest parts
#   make bench           benchmarks; figures go to BENCHMARKS.md
#   make fuzz            long fuzz runs
#   make sanitize        host tests under ASan+LSan(+UBSan for C) and the threaded ones under TSan
#   make lint            source rules the compilers do not check
# Every target installs what it needs on a fresh Debian 12 machine (Tools/install-host-deps.sh;
# the firmware toolchains cache their downloads and builds under build/).

SHELL := /bin/bash
.DEFAULT_GOAL := build
.PHONY: build run test unit-test unit-long-wait sanitize-ci-start sanitize-ci-wait demo-test ota-firmware-test host-deps lint bench fuzz fuzz-short image config-bundle keygen clean distclean \
        sanitize sanitize-asan sanitize-tsan

BUILD_DIR ?= build
# The Python packages of the tests, the demo and the benchmarks live in a virtual environment
# under the build directory, made by Tools/install-host-deps.sh (host-deps); its bin/ comes first
# on PATH for every recipe, so `python3` is the environment's wherever a script or test starts it.
export EDGE_VENV := $(abspath $(BUILD_DIR))/venv
export PATH := $(EDGE_VENV)/bin:$(PATH)
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
# Background jobs of make test, so that a long wait or a second build overlaps the firmware's:
# $(call bg_start,NAME,COMMAND) runs COMMAND in the background, its output in BUILD_DIR/NAME.log
# ending with its exit status ("rc=N"), while holding a lock on BUILD_DIR/NAME.lock (flock; the
# COMMAND does not inherit it, so a process it leaves behind cannot hold it).
# $(call bg_wait,NAME) waits for that lock, prints the log, and fails unless COMMAND exited 0.
bg_start = mkdir -p $(BUILD_DIR); rm -f $(BUILD_DIR)/$(1).log; exec 9>$(BUILD_DIR)/$(1).lock; \
  flock -n -x 9 || { echo "FAIL: $(BUILD_DIR)/$(1).lock is held: another run's $(1) is still going"; exit 1; }; \
  echo "$(1): started in the background (log: $(BUILD_DIR)/$(1).log)"; \
  ( { $(2) 9>&-; echo "rc=$$?"; } > $(BUILD_DIR)/$(1).log 2>&1 ) > /dev/null 2>&1 & exec 9>&-
bg_wait = exec 9>$(BUILD_DIR)/$(1).lock; flock -x 9; \
  test -f $(BUILD_DIR)/$(1).log || { echo "FAIL: no $(BUILD_DIR)/$(1).log: $(1) was not started"; exit 1; }; \
  sed 's/^/  $(1)> /' $(BUILD_DIR)/$(1).log; \
  grep -qx 'rc=0' $(BUILD_DIR)/$(1).log || { echo "FAIL: $(1)"; exit 1; }

# The tests that wait for minutes on an idle agent (UNIT_LONG_TESTS: an alarm across the issue's
# 5-minute outage) run in the background beside the others (unit-long-tests.log);
# `make unit-test` waits for them at its end; under `make test` they go on while the firmware is
# built and are collected last, so their wait adds nothing to CI's time. The foreground run
# passes --ignore-lock: SwiftPM holds its .build lock while tests run, and neither run builds.
UNIT_LONG_TESTS ?= AlarmFiveMinuteOutageTests
UNIT_LONG_LATER ?=
UNIT_TEST_ENV = EDGE_AGENT_BINARY="$$($(SWIFT) build --show-bin-path)/edge-agent"
unit-test: host-deps
	$(SWIFT) build --build-tests
	@$(call bg_start,unit-long-tests,$(UNIT_TEST_ENV) $(SWIFT) test --skip-build --filter '$(UNIT_LONG_TESTS)'); \
	$(UNIT_TEST_ENV) $(SWIFT) test --skip-build --ignore-lock --skip '$(UNIT_LONG_TESTS)'
	@$(if $(UNIT_LONG_LATER),echo "unit-test: $(UNIT_LONG_TESTS) still running: make test collects them at its end",$(MAKE) --no-print-directory unit-long-wait)

unit-long-wait:
	@$(call bg_wait,unit-long-tests); log=$(BUILD_DIR)/unit-long-tests.log; \
	if grep -q ' skipped' $$log; then echo "FAIL: $(UNIT_LONG_TESTS) skipped"; exit 1; fi; \
	grep -Eq 'Test run with [1-9][0-9]* tests? (in [0-9]+ suites? )?passed' $$log || { echo "FAIL: $(UNIT_LONG_TESTS) did not run"; exit 1; }; \
	echo "unit-test: $(UNIT_LONG_TESTS) passed"

# ThreadSanitizer in make test (issue 17): the threaded suites of SANITIZE_CI_TSAN (the bus
# workers, their queues and wake pipes; the agent loop and the end-to-end runs with a TSan build of
# edge-agent) under Tools/sanitize.sh tsan, built into .build-tsan. It starts in the background
# when the firmware build does (that build compiles one module at a time, a core stays free) and
# is waited for before the firmware's end-to-end tests, which time qemu. `make sanitize` runs all
# of it, ASan+UBSan included.
# Not under TSan: the allocation test preloads its own malloc (sanitize.sh skips it), the
# 5-minute wait ran above, and the upgrade through the boot simulator needs the test-key firmware
# (it skips on a host build; ota-firmware-test runs it on that firmware).
SANITIZE_CI_TSAN ?= FieldBusTests AgentTests
SANITIZE_CI_SKIP ?= AgentRunAllocationTests|$(UNIT_LONG_TESTS)|theBootloaderRunsEachSlotsFirmwareThroughAnUpgradeAndARollback
sanitize-ci-start: host-deps
	@$(call bg_start,sanitize-ci,SANITIZE_SKIP='$(SANITIZE_CI_SKIP)' Tools/sanitize.sh tsan $(SANITIZE_CI_TSAN))

sanitize-ci-wait:
	@$(call bg_wait,sanitize-ci); \
	for f in $(SANITIZE_CI_TSAN); do \
	  if grep -q ' skipped' $(BUILD_DIR)/sanitize/tsan/$$f.log; then echo "FAIL: $$f skipped tests under TSan"; exit 1; fi; \
	done; echo "sanitize-ci: $(SANITIZE_CI_TSAN) under ThreadSanitizer: 0 reports"

test: UNIT_LONG_LATER := 1
test: lint unit-test sanitize-ci-start firmware-test sanitize-ci-wait firmware-e2e ota-firmware-test demo-test fuzz-short
	@$(MAKE) --no-print-directory unit-long-wait
	@echo "make test: all passed"

# OTA upgrades of the real firmware under qemu-aarch64. The firmware trusts only the key linked
# into it, so these need a firmware with the TEST key (Tests/OTAFixtures/build-test-firmware.sh:
# `make firmware OTA_KEY=<test key>` into OTA_TEST_FIRMWARE_DIR, a relink of the board's firmware
# build), and its next release: the same with OTA_TEST_V2_VERSION linked in (another relink), the
# payload of the upgrades, which runs after them and reports its own version. The suites:
#   FirmwareBootSimulatorTests  the boot simulator (Debian's fw_printenv/fw_setenv playing U-Boot's
#                               bootchooser) booting each slot's firmware, `ota upgrade` and
#                               `ota boot-check` (v1 -> v2 committed, crash and missed deadline
#                               rolled back, tampered image, power cuts, HTTPS with a test CA,
#                               cut downloads resumed)
#   AgentUpgradeTests           cloud-ordered upgrades through `edge-agent run` with the firmware
#                               as the agent (EDGE_AGENT_BINARY=Tools/qemu-agent.sh; they run on
#                               a firmware only when EDGE_FIRMWARE is EDGE_OTA_TEST_FIRMWARE; the
#                               trial boot runs slot B's bytes, the v2 build), and a gateway whose
#                               boots the boot simulator plays, each slot's bytes run as the agent
#                               (v1 -> v2 committed, v3 missing its deadline rolled back)
#   EndToEndCloudConfig(File)Tests, EndToEndConfigApplyTests, EndToEndConsoleConfigApplyTests,
#   EndToEndConfigTrialStartsTests
#                               configuration bundles signed with the test key (issue 15) applied
#                               from the cloud, by `config apply` and from the console, on the
#                               firmware that trusts that key (a host build is given --ota-key)
# Each suite must run and not skip (a skip means the firmware, qemu or a tool was missing, which
# proves nothing), and at least one test must have passed. SWIFTPM_FLAGS (e.g. --scratch-path
# .build-x) are given to swift build/test.
OTA_TEST_FIRMWARE_DIR ?= $(BUILD_DIR)/ota-test-firmware
OTA_TEST_V2_VERSION ?= $(shell awk -F. '{ printf "%d.%d.%d", $$1, $$2, $$3 + 1 }' VERSION)
OTA_FIRMWARE_SUITES ?= OTATests.FirmwareBootSimulatorTests AgentTests.AgentUpgradeTests \
  AgentTests.EndToEndCloudConfigTests AgentTests.EndToEndCloudConfigFileTests AgentTests.EndToEndConfigApplyTests \
  AgentTests.EndToEndConsoleConfigApplyTests AgentTests.EndToEndConfigTrialStartsTests
SWIFTPM_FLAGS ?=
ota-firmware-test: host-deps
	@command -v qemu-aarch64 >/dev/null || { echo "FAIL: no qemu-aarch64"; exit 1; }
	Tests/OTAFixtures/build-test-firmware.sh $(OTA_TEST_FIRMWARE_DIR) >/dev/null
	Tests/OTAFixtures/build-test-firmware.sh $(OTA_TEST_FIRMWARE_DIR) qemu-aarch64 $(OTA_TEST_V2_VERSION) >/dev/null
	@set -e; dir="$(abspath $(OTA_TEST_FIRMWARE_DIR))"; \
	for fw in "$$dir/edge-agent" "$$dir/v$(OTA_TEST_V2_VERSION)/edge-agent"; do \
	  out=$$(EDGE_FIRMWARE="$$fw" Tools/qemu-agent.sh version); echo "$$out" | sed 's/^/  version> /'; \
	  case "$$out" in *firmware*qemu-aarch64*|*qemu-aarch64*firmware*) ;; *) echo "FAIL: $$fw is not the qemu-aarch64 firmware"; exit 1;; esac; \
	done; \
	case "$$out" in "edge-agent $(OTA_TEST_V2_VERSION)"*) ;; *) echo "FAIL: the v2 firmware is not $(OTA_TEST_V2_VERSION)"; exit 1;; esac
	$(SWIFT) build $(SWIFTPM_FLAGS) --build-tests
	@fw="$(abspath $(OTA_TEST_FIRMWARE_DIR))/edge-agent"; log="$(OTA_TEST_FIRMWARE_DIR)/ota-tests"; \
	v2="$(abspath $(OTA_TEST_FIRMWARE_DIR))/v$(OTA_TEST_V2_VERSION)/edge-agent"; \
	for suite in $(OTA_FIRMWARE_SUITES); do \
	  echo "ota-firmware-test: $$suite with $$fw under qemu-aarch64"; \
	  { EDGE_OTA_TEST_FIRMWARE="$$fw" EDGE_OTA_TEST_FIRMWARE_V2="$$v2" EDGE_FIRMWARE="$$fw" EDGE_AGENT_BINARY="$(CURDIR)/Tools/qemu-agent.sh" QEMU=qemu-aarch64 \
	      $(SWIFT) test $(SWIFTPM_FLAGS) --skip-build --filter "$$suite" 2>&1; echo "rc=$$?"; } | tee "$$log-$$suite.log"; \
	  grep -qx 'rc=0' "$$log-$$suite.log" || { echo "FAIL: $$suite with the test-key firmware"; exit 1; }; \
	  if grep -q ' skipped' "$$log-$$suite.log"; then echo "FAIL: $$suite skipped tests"; exit 1; fi; \
	  grep -q "Suite $${suite#*.} passed" "$$log-$$suite.log" || { echo "FAIL: $$suite did not run"; exit 1; }; \
	  grep -Eq 'Test [^ ]+\) passed after' "$$log-$$suite.log" || { echo "FAIL: no test of $$suite passed"; exit 1; }; \
	done
	@echo "ota-firmware-test: passed"

# The demo (`make run`'s script) for 55 s with the host debug build; the cloud record is checked
# (Tools/demo/test-demo.sh: data, a write, the inverter's over-temperature alarm raised and cleared). firmware-e2e runs the same with the firmware under qemu.
demo-test: host-deps
	$(SWIFT) build
	Tools/demo/test-demo.sh "$$($(SWIFT) build --show-bin-path)/edge-agent"

# A short libFuzzer run of the MQTT decoder (the long one is `make fuzz`).
fuzz-short: host-deps
	Fuzz/run.sh 20

# The host tests under sanitizers (Tools/sanitize.sh; suppressions with their reasons in
# Tools/sanitizers/), each build in its own scratch path (.build-asan, .build-tsan): every test
# module under AddressSanitizer + LeakSanitizer (UndefinedBehaviorSanitizer over the C targets),
# the threaded suites (bus workers, SPSC queue, wake pipes, the agent loop, the end-to-end suites
# with a ThreadSanitizer build of edge-agent) under ThreadSanitizer. Fails on any report.
# SANITIZE_ASAN / SANITIZE_TSAN: swift test --filter patterns, to run fewer.
SANITIZE_ASAN ?=
SANITIZE_TSAN ?= FieldBusTests AgentTests
sanitize: sanitize-asan sanitize-tsan
sanitize-asan: host-deps
	Tools/sanitize.sh asan $(SANITIZE_ASAN)
sanitize-tsan: host-deps
	Tools/sanitize.sh tsan $(SANITIZE_TSAN)

# Ctrl-C is how the demo ends: its status 130 is not a make error.
run: build
	@Tools/demo.sh "$$($(SWIFT) build -c release --show-bin-path)/edge-agent" || [ $$? = 130 ]

# Source rules that the host compiler cannot check: Sources/ is compiled as Embedded Swift for
# the firmware, so no Foundation, Dispatch or Glibc there (the firmware build would catch it, but
# this names the file at once).
lint: host-deps
	@python3 Tools/lint.py
	@python3 Tools/layout.py --check

bench: build
	@Tools/bench.sh

fuzz: host-deps
	@if [ -x Fuzz/run.sh ]; then Fuzz/run.sh 600; else echo "no fuzz targets"; fi

# A signed OTA image of a board's firmware, for release:
#   make image BOARD=<board> KEY=<signing-key.pem>   out/<board>/edge-agent-<version>.img
# KEY is required: the product's private signing key (ECDSA P-256, kept off this repository;
# `make keygen`). The firmware inside the image is built with KEY's public half compiled in
# (firmware.mk's OTA_KEY, written into the build directory), so it accepts the next release
# signed with KEY. KEY=test opts in to the TEST key of Tests/OTAFixtures (which no product
# trusts); that image is named *-TESTKEY.img.
# The header's version is the binary's own: the VERSION file's (what `edge-agent version` prints
# and what `ota status` reports after the upgrade). VERSION=x on the command line is refused
# unless it is that version: to release x, commit x to the VERSION file first.
FILE_VERSION := $(shell cat VERSION)
IMAGE_KEY = $(if $(filter test,$(KEY)),Tests/OTAFixtures/Keys/test-signing-key.pem,$(KEY))
IMAGE_NAME = out/$(BOARD)/edge-agent-$(FILE_VERSION)$(if $(filter test,$(KEY)),-TESTKEY).img
image:
	@test -n "$(BOARD)" || { echo "usage: make image BOARD=<board> KEY=<signing-key.pem> (KEY=test: the test key)"; exit 2; }
	@test -n "$(KEY)" || { echo "make image: KEY=<signing-key.pem> is required (the product's private key; KEY=test signs with the test key)"; exit 2; }
	@test "$(VERSION)" = "$(FILE_VERSION)" || { echo "make image: VERSION=$(VERSION) differs from the VERSION file ($(FILE_VERSION)), which the firmware is built with: commit $(VERSION) to VERSION to release it"; exit 2; }
	@test -f "$(IMAGE_KEY)" || { echo "make image: KEY=$(KEY): no such file"; exit 2; }
	@mkdir -p $(BUILD_DIR)/image/$(BOARD)
	python3 Tools/make-image.py public --key $(IMAGE_KEY) --output $(BUILD_DIR)/image/$(BOARD)/ota-key.der
	$(MAKE) firmware BOARD=$(BOARD) OTA_KEY=$(abspath $(BUILD_DIR)/image/$(BOARD)/ota-key.der)
	python3 Tools/make-image.py build --key $(IMAGE_KEY) --board $(BOARD) --version $(FILE_VERSION) \
	    --input out/$(BOARD)/edge-agent --output $(IMAGE_NAME)
	@echo "image: $(IMAGE_NAME)$(if $(filter test,$(KEY)), (signed with the TEST key: for tests only))"

# A signed configuration bundle (Sources/Configuration/BUNDLE.md), signed like an image with KEY.
config-bundle:
	@test -n "$(CONFIG)" -a -n "$(VERSION)" || { echo "usage: make config-bundle CONFIG=<config.json> VERSION=<version> [KEY=key.pem] [OUTPUT=file]"; exit 2; }
	@mkdir -p $(dir $(or $(OUTPUT),out/config-$(VERSION).cfgb))
	python3 Tools/make-config-bundle.py build --key $(KEY) --config $(CONFIG) --version $(VERSION) \
	    --output $(or $(OUTPUT),out/config-$(VERSION).cfgb)
	@echo "bundle: $(or $(OUTPUT),out/config-$(VERSION).cfgb)"

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
