# synscope build. Everything generated goes to build/.
#   make          BPF object, skeleton, the synscope binary
#   make test     install what is missing, build, run every test
#   make demo     the handshake lesson in its own network namespace
#   make bench    benchmarks (not tests)
#   make vmlinux  regenerate vmlinux.h from the running kernel's BTF

ARCH      ?= $(shell uname -m | sed -e 's/aarch64/arm64/')
BUILD     := build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h
BPF_ARCH  := $(shell echo $(ARCH) | sed -e 's/x86_64/x86/')

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
# The version: VERSION, and the commit when built from a git checkout.
VERSION   := $(shell cat VERSION)$(shell git describe --always 2>/dev/null | sed 's/^/+g/')
CFLAGS    += $(WARN) -D_GNU_SOURCE -Iinclude -Ibpf -Iuser -I$(BUILD) -DSS_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) $(WARN) \
	      -Wno-unused-function -Iinclude -Ibpf -Ivmlinux/$(ARCH)
LIBS      := -lbpf -lelf -lz
PCAP_LIBS := -lpcap

USER_SRC  := user/main.c user/options.c user/loader.c user/handshake.c user/wbuf.c user/ring.c \
	     user/p0f.c user/exporter.c user/exporter_live.c user/metrics.c user/tcpstat.c user/cgroup.c user/cgfilter.c user/whowhy.c \
	     user/output.c user/capture.c user/flood.c user/flood_live.c \
	     user/flood_offline.c user/privs.c user/tc_list.c user/pcap_write.c
USER_OBJ  := $(patsubst user/%.c,$(BUILD)/%.o,$(USER_SRC))

include tests/capture.mk
include tests/p0f.mk
include tests/whowhy.mk
include tests/metrics.mk
include tests/pcap_write.mk
include bench/bench.mk
include scripts/install.mk
# make fuzz, the corpus and malformed-packet suites (tests/fuzz.mk)
include tests/fuzz.mk

TESTS     := $(BUILD)/test_parse $(BUILD)/test_parse_asan $(BUILD)/test_bpf \
	     $(BUILD)/test_handshake $(BUILD)/test_options $(BUILD)/test_flood \
	     $(BUILD)/test_wbuf $(CAPTURE_TESTS) $(FUZZ_TESTS) $(P0F_TESTS) \
	     $(WHOWHY_TESTS) $(WHOWHY_TOOLS) $(METRICS_TESTS) $(METRICS_TOOLS) \
	     $(PCAP_WRITE_TESTS)

.PHONY: all test demo bench vmlinux clean deps unit-tests static
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

all: $(BUILD)/synscope

$(BUILD):
	@mkdir -p $@

$(BUILD)/synscope.bpf.o: bpf/synscope.bpf.c bpf/parse.h bpf/decide.h include/synscope.h include/sketch.h $(VMLINUX) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/synscope.skel.h: $(BUILD)/synscope.bpf.o
	$(BPFTOOL) gen skeleton $< name synscope_bpf > $@

$(BUILD)/%.o: user/%.c $(wildcard user/*.h) include/synscope.h include/sketch.h bpf/parse.h $(BUILD)/synscope.skel.h | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/synscope: $(USER_OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS) $(PCAP_LIBS) $(METRICS_LIBS)

# One static binary for minimal container images: libbpf, libelf, zlib,
# libpcap (and the libdbus it pulls in) linked in; glibc's warnings about
# name lookups are for functions synscope never calls.
STATIC_LIBS := -lbpf -lelf -lz -lpcap -ldbus-1 -lmicrohttpd -lpthread
static: $(BUILD)/synscope-static

$(BUILD)/synscope-static: $(USER_OBJ) $(BUILD)/static_sd.o $(BUILD)/static_notls.o
	$(CC) $(CFLAGS) -static $^ -o $@ $(STATIC_LIBS) 2>$(BUILD)/static-link.log || { cat $(BUILD)/static-link.log; exit 1; }
	@grep -v -e 'statically linked applications requires at runtime' -e 'in function' $(BUILD)/static-link.log || true

# ---- tests -----------------------------------------------------------------
TEST_CFLAGS := $(CFLAGS) -Wno-unused-parameter
ASAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(BUILD)/test_parse: tests/test_parse.c tests/packets.h bpf/parse.h include/synscope.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $< -o $@ -lcmocka

# The same parser tests under AddressSanitizer: every truncated prefix is
# copied into a buffer of exactly its length, so a read past it is caught.
$(BUILD)/test_parse_asan: tests/test_parse.c tests/packets.h bpf/parse.h include/synscope.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) $< -o $@ -lcmocka

$(BUILD)/test_bpf: tests/test_bpf.c tests/packets.h $(BUILD)/synscope.skel.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $< -o $@ -lcmocka $(LIBS)

$(BUILD)/test_handshake: tests/test_handshake.c user/handshake.c user/handshake.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_handshake.c user/handshake.c -o $@ -lcmocka

$(BUILD)/test_options: tests/test_options.c user/options.c user/options.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_options.c user/options.c -o $@ -lcmocka

$(BUILD)/test_flood: tests/test_flood.c user/flood.c user/flood.h user/output.c user/wbuf.c user/p0f.c user/handshake.c user/tcpstat.c | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_flood.c user/flood.c user/output.c user/wbuf.c user/p0f.c user/handshake.c user/tcpstat.c -o $@ -lcmocka

$(BUILD)/test_wbuf: tests/test_wbuf.c user/wbuf.c user/wbuf.h user/output.c user/p0f.c user/handshake.c | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_wbuf.c user/wbuf.c user/output.c user/p0f.c user/handshake.c -o $@ -lcmocka

# The capture behind the output golden files (tests/golden/).
$(BUILD)/gen_golden: tests/golden/gen_golden.c $(CAPTURE_BUILD) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -Itests tests/golden/gen_golden.c tests/capture_build.c -o $@ $(PCAP_LIBS)

# Another tool's programs, for the coexistence tests (tests/foreign/).
TEST_TOOLS := $(BUILD)/foreign.bpf.o $(BUILD)/foreign_attach $(BUILD)/synscope-static \
	      $(BUILD)/gen_golden

$(BUILD)/foreign.bpf.o: tests/foreign/foreign.bpf.c $(VMLINUX) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/foreign_attach: tests/foreign/foreign_attach.c | $(BUILD)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIBS)

unit-tests: $(TESTS) $(TEST_TOOLS)

deps:
	@scripts/install-deps.sh

test: deps
	$(MAKE) all unit-tests
	scripts/run-tests.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all unit-tests
	scripts/bench.sh

vmlinux:
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

clean:
	rm -rf $(BUILD)
