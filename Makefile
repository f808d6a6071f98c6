# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-mshv top-level Makefile: a thin layer over QEMU's own meson/ninja
# build in build/qemu.  Run ./configure first.

BUILD_CONFIG := build/config.mk
-include $(BUILD_CONFIG)

Q := $(if $(V),,@)
# QEMU's Makefile runs ninja with -j1 unless make has a -j: default to
# every core.
MSHV_JOBS ?= $(shell nproc)
SUB_JOBS := $(if $(findstring j,$(firstword $(filter-out --%,$(MAKEFLAGS)))),,-j$(MSHV_JOBS))

.PHONY: all qemu firmware check check-sanitizers bench soak fuzz install install-files clean distclean help

all: qemu firmware

$(BUILD_CONFIG):
	@echo "Not configured: run ./configure first (see README.rst)." >&2
	@exit 1

qemu: $(BUILD_CONFIG)
	$(Q)scripts/assemble --sync $(MSHV_BUILD)/src
	$(Q)$(MAKE) --no-print-directory -C $(MSHV_BUILD)/qemu $(SUB_JOBS) all $(if $(V),V=1)

# Firmware the binary boots with, found without -L from the build tree.
firmware: qemu
	$(Q)scripts/firmware bundle $(MSHV_BUILD)

# The test suite: meson suites "mshv" (ours), run on the simulator when
# they need /dev/mshv.  MSHV_TEST_ARGS passes options to meson test.
check: all
	$(Q)scripts/run-tests $(MSHV_BUILD) $(MSHV_TEST_ARGS)

# The test suite against a second build with ASan and UBSan, beside the
# default one (scripts/check-sanitizers): slow, so not part of make check.
check-sanitizers: $(BUILD_CONFIG)
	$(Q)scripts/check-sanitizers $(MSHV_BUILD) $(MSHV_TEST_ARGS)

# Benchmarks, -accel mshv beside -accel tcg (tests/bench/mshv-bench;
# MSHV_BENCH_ARGS passes options, e.g. --json FILE).  Never fails on a
# number.
bench: all
	$(Q)ninja -C $(MSHV_BUILD)/qemu tests/mshv/bzImage tests/mshv/irq-check tests/mshv/mshv-map-bench tests/mshv/mshv-irq-bench hw/mshv-sim/preload/libmshv-sim-preload.so >/dev/null
	$(Q)tests/bench/mshv-bench $(MSHV_BENCH_ARGS)

# A long run under -accel mshv: reboots, then an hour of verified I/O
# (tests/mshv/soak.py; SOAK_REBOOTS, SOAK_IO_MINUTES).
soak: all
	$(Q)scripts/soak $(MSHV_BUILD)

# libFuzzer on the MSHV instruction executor (MSHV_FUZZ_SECONDS, 60).
fuzz: qemu
	$(Q)scripts/fuzz $(MSHV_BUILD) $(or $(MSHV_FUZZ_SECONDS),60) \
	    $(or $(MSHV_FUZZ_TARGET),all)

install: all
	$(Q)$(MAKE) --no-print-directory install-files

# Install what is built, without building (used by the install test).
install-files: $(BUILD_CONFIG)
	$(Q)meson install -C $(MSHV_BUILD)/qemu --no-rebuild $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))
	$(Q)scripts/firmware install $(MSHV_BUILD) "$(if $(DESTDIR),$(abspath $(DESTDIR)))$(MSHV_PREFIX)"

clean: $(BUILD_CONFIG)
	$(Q)$(MAKE) --no-print-directory -C $(MSHV_BUILD)/qemu clean

distclean:
	rm -rf build

help:
	@echo "make            build qemu-system-x86_64 and its firmware"
	@echo "make check      run the test suite"
	@echo "make check-sanitizers  the test suite under ASan and UBSan"
	@echo "make bench      benchmarks: -accel mshv beside -accel tcg"
	@echo "make soak       reboots and an hour of I/O under -accel mshv"
	@echo "make fuzz       fuzz the MSHV executor and exit handling (clang)"
	@echo "make install    install (DESTDIR and ./configure --prefix apply)"
