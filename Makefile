# synscope build. Everything generated goes to build/.
#   make          BPF object, skeleton, the synscope binary
#   make test     install what is missing, build, run every test
#   make demo     the handshake lesson in its own network namespace
#   make bench    benchmarks (not tests)
#   make vmlinux  regenerate vmlinux.h from the running kernel's BTF
#   make static   one static binary, for the container image

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
# Every library the userspace code uses: libbpf (and libelf, zlib),
# libpcap (capture files, -w), libmicrohttpd (--metrics).
LIBS      := -lbpf -lelf -lz -lpcap -lmicrohttpd -lpthread

.PHONY: all test demo bench vmlinux clean deps unit-tests static
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

all: $(BUILD)/synscope

# ---- the kernel programs (bpf/) ----------------------------------------------
BPF_HDRS := $(wildcard bpf/*.h include/*.h)

$(BUILD)/synscope.bpf.o: bpf/synscope.bpf.c $(BPF_HDRS) $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/synscope.skel.h: $(BUILD)/synscope.bpf.o
	$(BPFTOOL) gen skeleton $< name synscope_bpf > $@

# The kernel's verdicts (tracepoints, CAP_PERFMON): an object of its own.
$(BUILD)/verdict.bpf.o: bpf/verdict.bpf.c $(BPF_HDRS) $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/verdict.skel.h: $(BUILD)/verdict.bpf.o
	$(BPFTOOL) gen skeleton $< name verdict_bpf > $@

# ---- userspace (user/): the command, and one library of its parts -----------
# user/main.c dispatches; everything else, a folder per part (README's
# layout), is libsynscope.a, which the binary and every test link.
USER_PARTS := cli modes engine live offline out fleet host
LIB_SRC   := $(foreach p,$(USER_PARTS),$(wildcard user/$(p)/*.c))
USER_HDRS := $(wildcard user/*.h user/*/*.h) $(BPF_HDRS)
LIB       := $(BUILD)/libsynscope.a

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/synscope.skel.h $(BUILD)/verdict.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRC))
	rm -f $@
	ar rcs $@ $^

$(BUILD)/synscope: $(BUILD)/user/main.o $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

# One static binary for minimal container images: libbpf, libelf, zlib,
# libpcap (and the libdbus it pulls in), libmicrohttpd linked in; glibc's
# warnings about name lookups are for functions synscope never calls.
# user/static/ holds what only this build needs.
STATIC_LIBS := -lbpf -lelf -lz -lpcap -ldbus-1 -lmicrohttpd -lpthread
static: $(BUILD)/synscope-static

$(BUILD)/synscope-static: $(BUILD)/user/main.o $(LIB) $(BUILD)/user/static/static_sd.o \
			  $(BUILD)/user/static/static_notls.o
	$(CC) $(CFLAGS) -static $^ -o $@ $(STATIC_LIBS) 2>$(BUILD)/static-link.log || { cat $(BUILD)/static-link.log; exit 1; }
	@grep -v -e 'statically linked applications requires at runtime' -e 'in function' $(BUILD)/static-link.log || true

# ---- tests (tests/tests.mk), benchmarks, install, fuzzing -------------------
include tests/tests.mk
include bench/bench.mk
include scripts/install.mk

deps:
	@scripts/install-deps.sh

# A test that does not build is reported by the runner as failed, the
# others still run (-k).
test: deps
	$(MAKE) all
	-$(MAKE) -k unit-tests
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
