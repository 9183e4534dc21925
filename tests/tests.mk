# Every test, declared once (included from the Makefile).
#
# A suite is a C file tests/PART/test_NAME.c, testing user/PART/ (or bpf/,
# or user/*.c for tests/user/): it becomes build/tests/PART/test_NAME,
# linked with the library every test and the binary link (libsynscope.a),
# the tests' shared helpers (tests/support/, libsupport.a) and cmocka.
# Nothing lists sources by hand. The end-to-end suites are the scripts
# tests/e2e/e2e_*.sh. scripts/run-tests.sh asks for the list with
# `make -s list-suites`, in this order: units, kernel, end to end.
UNIT_SUITES   := $(sort $(wildcard tests/cli/test_*.c tests/modes/test_*.c tests/engine/test_*.c \
		   tests/out/test_*.c tests/offline/test_*.c tests/fleet/test_*.c \
		   tests/host/test_*.c)) tests/bpf/test_parse.c
KERNEL_SUITES := tests/bpf/test_bpf.c tests/bpf/test_agree.c tests/bpf/test_malformed.c \
		 tests/bpf/test_corpus.c
# The same suites under AddressSanitizer + UBSan, on a library built with
# them: every broken or truncated input is copied to a buffer of its
# length, so a read past it is caught.
ASAN_SUITES   := tests/bpf/test_parse.c tests/engine/test_p0f.c tests/host/test_cgroup.c \
		 tests/host/test_tcpstat.c tests/out/test_pcap_write.c
E2E_SUITES    := $(sort $(wildcard tests/e2e/e2e_*.sh))

suite_bin = $(patsubst tests/%.c,$(BUILD)/tests/%,$(1))
SUITES    := $(call suite_bin,$(UNIT_SUITES)) \
	     $(patsubst %,%_asan,$(call suite_bin,$(ASAN_SUITES))) \
	     $(call suite_bin,$(KERNEL_SUITES))

# Tools the end-to-end suites run (not suites themselves).
TEST_TOOLS := $(BUILD)/foreign.bpf.o $(BUILD)/foreign_attach $(BUILD)/synscope-static \
	      $(BUILD)/gen_golden $(BUILD)/p0f_check $(BUILD)/tcpstat_dump $(BUILD)/metrics_demo

.PHONY: list-suites
list-suites:
	@for s in $(SUITES) $(E2E_SUITES); do echo "$$s"; done

unit-tests: $(SUITES) $(TEST_TOOLS)

TEST_CFLAGS := $(CFLAGS) -Wno-unused-parameter -Itests/support
ASAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The helpers: packets and captures built by hand, both halves of the
# two-builds test, the malformed-packet table. libpcap's and libbpf's
# headers clash, so each file includes one of them.
SUPPORT_SRC := $(wildcard tests/support/*.c)
SUPPORT_HDRS := $(wildcard tests/support/*.h)
SUPPORT     := $(BUILD)/libsupport.a

$(BUILD)/support/%.o: tests/support/%.c $(SUPPORT_HDRS) $(USER_HDRS) $(BUILD)/synscope.skel.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c $< -o $@

$(SUPPORT): $(patsubst tests/support/%.c,$(BUILD)/support/%.o,$(SUPPORT_SRC))
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: tests/%.c $(SUPPORT_HDRS) $(USER_HDRS) $(LIB) $(SUPPORT) $(BUILD)/synscope
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(SUPPORT) $(LIB) -lcmocka $(LIBS)

# ---- AddressSanitizer builds ---------------------------------------------------
ASAN_LIB := $(BUILD)/asan/libsynscope.a

$(BUILD)/asan/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/synscope.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN_LIB): $(patsubst user/%.c,$(BUILD)/asan/user/%.o,$(LIB_SRC))
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%_asan: tests/%.c $(SUPPORT_HDRS) $(USER_HDRS) $(ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) $< -o $@ $(ASAN_LIB) -lcmocka $(LIBS)

# ---- tools -------------------------------------------------------------------
# The capture behind the output golden files (tests/golden/).
$(BUILD)/gen_golden: tests/golden/gen_golden.c $(SUPPORT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(SUPPORT) $(LIBS)

# user/engine/p0f.c over a capture, for tests/e2e/e2e_p0f.sh.
$(BUILD)/p0f_check: tests/engine/p0f_check.c $(SUPPORT) $(LIB)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(SUPPORT) $(LIB) $(LIBS)

# user/host/tcpstat.c's reading, for tests/e2e/e2e_tcpstat.sh.
$(BUILD)/tcpstat_dump: tests/host/tcpstat_dump.c $(LIB)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIB) $(LIBS)

# The metrics server alone with fixed families, for e2e_metrics_server.sh.
$(BUILD)/metrics_demo: tests/fleet/metrics_demo.c $(LIB)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIB) $(LIBS)

# Another tool's programs, for the coexistence tests (tests/foreign/).
$(BUILD)/foreign.bpf.o: tests/foreign/foreign.bpf.c $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/foreign_attach: tests/foreign/foreign_attach.c
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIBS)

# ---- make fuzz ---------------------------------------------------------------
# libFuzzer with ASan and UBSan over the host parser and classifier
# (fuzz_packet) and over the capture reader (fuzz_capture), FUZZ_SECS
# seconds each, then the grown corpora through test_corpus
# (tests/fuzz/run-fuzz.sh). make fuzz-corpus regenerates the generated
# seeds (tests/fuzz/gen_corpus.c); tests/corpus/capture-e2e.sh makes the
# captured ones.
FUZZ_CC     ?= clang
FUZZ_SECS   ?= 120
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer $(WARN) -Wno-unused-parameter -D_GNU_SOURCE \
	       -Iinclude -Ibpf -Iuser -I$(BUILD) -Itests/support -DSS_VERSION='"$(VERSION)"'
FUZZ_LIB    := $(FUZZ_DIR)/libsynscope.a
FUZZERS     := $(FUZZ_DIR)/fuzz_packet $(FUZZ_DIR)/fuzz_capture

.PHONY: fuzz fuzz-build fuzz-corpus

fuzz: deps
	$(MAKE) fuzz-build $(BUILD)/tests/bpf/test_corpus
	FUZZ_SECS=$(FUZZ_SECS) tests/fuzz/run-fuzz.sh

fuzz-build: $(FUZZERS)

# clang's libFuzzer runtime (libclang_rt.fuzzer) comes with libclang-rt-dev
# on Debian, a package clang only recommends.
$(FUZZ_DIR)/libfuzzer.ok:
	@mkdir -p $(FUZZ_DIR)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
		> $(FUZZ_DIR)/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/probe.c \
		-o $(FUZZ_DIR)/probe 2>$(FUZZ_DIR)/probe.err || { \
		echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer (libFuzzer runtime missing:" \
		     "install libclang-rt-dev)" >&2; cat $(FUZZ_DIR)/probe.err >&2; exit 1; }
	@touch $@

$(FUZZ_DIR)/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/synscope.skel.h $(FUZZ_DIR)/libfuzzer.ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/support/%.o: tests/support/%.c $(SUPPORT_HDRS) $(USER_HDRS) $(FUZZ_DIR)/libfuzzer.ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(patsubst user/%.c,$(FUZZ_DIR)/user/%.o,$(LIB_SRC)) $(FUZZ_DIR)/support/agree_host.o
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ $(FUZZ_LIB) $(LIBS) -lm

$(BUILD)/gen_corpus: tests/fuzz/gen_corpus.c $(SUPPORT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(SUPPORT) $(LIBS)

fuzz-corpus: $(BUILD)/gen_corpus
	rm -f tests/corpus/packets/*.bin tests/corpus/pcap/scenario-* tests/corpus/pcap/malformed-*
	$(BUILD)/gen_corpus tests/corpus
