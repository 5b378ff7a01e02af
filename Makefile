# compendium - build, test, demo, install.
#
# Adding a module: put its .c files in one of $(MODULES); they are found by
# wildcard. A unit test is tests/unit/test_NAME.c: it is found too.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
CLANG   ?= clang
PYTHON  ?= /usr/bin/python3

MODULES := format record replay report
BUILD   ?= build
GEN     := $(BUILD)/gen

PKGS    := libzstd libprotobuf-c libbpf libelf zlib
CFLAGS_BASE := -std=gnu11 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-missing-braces \
	-I. -Iformat -I$(GEN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lzstd -lprotobuf-c -lbpf -lelf -lz) -lpthread
CFLAGS  ?= -O2
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS) $(EXTRA_CFLAGS)

SRCS     := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
GEN_SRCS := $(GEN)/compendium.pb-c.c
GEN_HDRS := $(GEN)/compendium.pb-c.h $(GEN)/syscall_names.h
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SRCS)) $(GEN)/compendium.pb-c.o
MAIN_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOAD_BINS := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))

.PHONY: all deps test-deps test unit integration fuzz asan demo bench bench-format \
	install clean browser bench-report
all: compendium

# ---- the binary ---------------------------------------------------------
compendium: $(BUILD)/compendium
	cp $< $@

$(BUILD)/compendium: $(MAIN_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c $(GEN_HDRS) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# generated code is not ours to warn about
$(GEN)/compendium.pb-c.o: $(GEN)/compendium.pb-c.c $(GEN)/compendium.pb-c.h
	$(CC) $(ALL_CFLAGS) -Wno-missing-braces -Wno-unused-parameter -c -o $@ $<

$(GEN)/compendium.pb-c.c $(GEN)/compendium.pb-c.h: schemas/compendium.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=schemas --c_out=$(GEN) schemas/compendium.proto

$(GEN)/syscall_names.h: format/gen-syscall-names.sh
	@mkdir -p $(GEN)
	format/gen-syscall-names.sh /usr/include/x86_64-linux-gnu/asm/unistd_64.h > $@.tmp
	mv $@.tmp $@

# ---- eBPF: bpf/latency.bpf.c -> BPF object -> skeleton in record/ebpf.o ----
# CO-RE against bpf/vmlinux_min.h: no dependence on this host's kernel BTF.
# -g makes the BTF libbpf needs; llvm-strip -g then drops the DWARF.
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ibpf \
	-I/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu) \
	-Wall -Wextra -Wno-unused-parameter -Werror
$(GEN)/latency.bpf.o: bpf/latency.bpf.c bpf/latency.h bpf/vmlinux_min.h
	@mkdir -p $(GEN)
	$(CLANG) $(BPF_CFLAGS) -c -o $@.tmp $<
	$(LLVM_STRIP) -g $@.tmp
	mv $@.tmp $@
$(GEN)/latency.skel.h: $(GEN)/latency.bpf.o
	$(BPFTOOL) gen skeleton $< name latency > $@.tmp
	mv $@.tmp $@
$(BUILD)/record/ebpf.o: $(GEN)/latency.skel.h
# the fast path (record/fastpath.c): bpf/io.bpf.c, same recipe; plain
# raw tracepoints without CO-RE, so it loads without the kernel's BTF
$(GEN)/io.bpf.o: bpf/io.bpf.c bpf/io.h
	@mkdir -p $(GEN)
	$(CLANG) $(BPF_CFLAGS) -c -o $@.tmp $<
	$(LLVM_STRIP) -g $@.tmp
	mv $@.tmp $@
$(GEN)/io.skel.h: $(GEN)/io.bpf.o
	$(BPFTOOL) gen skeleton $< name iofast > $@.tmp
	mv $@.tmp $@
$(BUILD)/record/fastpath.o: $(GEN)/io.skel.h
$(BUILD)/tests/test_ebpf: | $(BUILD)/workloads/ebpf_spin $(BUILD)/workloads/ebpf_dio
# per-event cost of the eBPF source (root): make bench-ebpf
$(BUILD)/ebpf_probe: tests/ebpf/ebpf_probe.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
bench-ebpf: $(BUILD)/ebpf_probe
	$(BUILD)/ebpf_probe
bench: bench-ebpf
.PHONY: bench-ebpf

# ---- dependencies -------------------------------------------------------
deps:
	@.ci/deps.sh build
test-deps:
	@.ci/deps.sh test

# ---- sanitizer build: make asan -> build-asan/compendium -----------------
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		build-asan/compendium

# ---- tests ---------------------------------------------------------------
# Unit tests and the fuzz target run under ASan/UBSan; integration tests trace
# real programs with the optimised binary (the one users run).
test: test-deps
	$(MAKE) all workloads
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" unit
	$(MAKE) fuzz
	$(MAKE) integration
	$(MAKE) browser

workloads: $(WORKLOAD_BINS)
$(BUILD)/workloads/%: tests/workloads/%.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -Werror -o $@ $< -lpthread

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Twice: as root the I/O and memory calls go through the eBPF fast path by
# default; the second run records everything through ptrace.
integration: $(BUILD)/compendium workloads
	COMPENDIUM_RECORD_OPTS=--no-fastpath \
	COMPENDIUM=$(abspath $(BUILD))/compendium WORKLOADS=$(abspath $(BUILD))/workloads \
		$(PYTHON) -m pytest -q tests/integration
	COMPENDIUM=$(abspath $(BUILD))/compendium WORKLOADS=$(abspath $(BUILD))/workloads \
		$(PYTHON) -m pytest -q tests/integration

FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined
fuzz: build-fuzz/fuzz_reader
	@mkdir -p build-fuzz/corpus
	@# the fuzzer's status, not tail's: a crash must fail make test
	build-fuzz/fuzz_reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-print_final_stats=1 build-fuzz/corpus tests/fuzz/seeds > build-fuzz/fuzz.log 2>&1; \
		rc=$$?; tail -n 12 build-fuzz/fuzz.log; exit $$rc

# the reader and every sink that reads recordings (show, --json, report, diff)
FUZZ_SRCS := $(filter format/%.c replay/%.c report/%.c,$(SRCS))
build-fuzz/fuzz_reader: tests/fuzz/fuzz_reader.c $(SRCS) $(wildcard */*.h) $(GEN_HDRS) $(GEN_SRCS) \
		$(GEN)/report_assets.h
	@mkdir -p build-fuzz
	$(CLANG) $(CFLAGS_BASE) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
		tests/fuzz/fuzz_reader.c $(FUZZ_SRCS) $(GEN_SRCS) $(LDLIBS) -lm

# ---- benchmarks ----------------------------------------------------------
bench-format: $(BUILD)/bench_format
	$(BUILD)/bench_format
FORMAT_OBJS := $(filter $(BUILD)/format/%,$(LIB_OBJS)) $(GEN)/compendium.pb-c.o
$(BUILD)/bench_format: tests/bench/bench_format.c $(FORMAT_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/list_syscalls: tests/bench/list_syscalls.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# BENCH_RUNS=N for more rounds, BENCH_ONLY=dd,tar for some workloads
bench: all workloads bench-format bench-report $(BUILD)/list_syscalls
	$(PYTHON) tests/bench/bench.py $(BUILD)/compendium $(BUILD)/workloads \
		$(BUILD)/list_syscalls $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

# ---- the HTML report: embedded page assets, browser test, benchmark -------
# report/report.{html,css,js} are compiled in as byte arrays (report/embed.sh).
# The browser test drives Debian's chromium with playwright-core from npm
# (tests/browser/package-lock.json pins it; it never downloads a browser).
REPORT_ASSETS := report/report.html report/report.css report/report.js
$(GEN)/report_assets.h: report/embed.sh $(REPORT_ASSETS)
	@mkdir -p $(GEN)
	sh report/embed.sh $(REPORT_ASSETS) > $@.tmp
	mv $@.tmp $@
$(BUILD)/report/report.o: $(GEN)/report_assets.h

BROWSER_MODULES := tests/browser/node_modules/playwright-core/package.json
$(BROWSER_MODULES): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@
browser: $(BUILD)/compendium workloads $(BROWSER_MODULES)
	COMPENDIUM=$(abspath $(BUILD))/compendium WORKLOADS=$(abspath $(BUILD))/workloads \
		node tests/browser/report.test.js

bench-report: $(BUILD)/compendium $(BUILD)/bench_report_gen $(BROWSER_MODULES)
	COMPENDIUM=$(abspath $(BUILD))/compendium GENERATOR=$(abspath $(BUILD))/bench_report_gen \
		sh tests/bench/bench_report.sh
$(BUILD)/bench_report_gen: tests/bench/bench_report_gen.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# ---- page faults (record/faults.c): test workload, benchmark --------------
# test_faults runs fault_touch from $(BUILD)/workloads (order-only: not linked).
$(BUILD)/tests/test_faults: | $(BUILD)/workloads/fault_touch
.PHONY: bench-faults
bench-faults: $(BUILD)/bench_faults
	$(BUILD)/bench_faults
$(BUILD)/bench_faults: tests/bench/bench_faults.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
bench: bench-faults

# ---- demo ----------------------------------------------------------------
demo: deps
	$(MAKE) all workloads
	tests/demo.sh

# ---- install -------------------------------------------------------------
install: compendium
	install -D -m 0755 compendium $(DESTDIR)$(PREFIX)/bin/compendium

clean:
	rm -rf build build-asan build-fuzz compendium
