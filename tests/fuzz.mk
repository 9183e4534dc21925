# Hostile input, included from the Makefile.
#   test_malformed  the malformed-packet table (tests/malformed.c) through
#                   the three kernel programs and through the capture
#                   reader (root)
#   test_corpus     the differential check: every file of the committed
#                   seed corpora (tests/corpus/) through the host replay
#                   and the kernel programs, input for input (root)
#   make fuzz       libFuzzer over the host parser and classifier
#                   (fuzz_packet) and over the capture-file reader
#                   (fuzz_capture), FUZZ_SECS seconds each, then the grown
#                   corpora through test_corpus (tests/fuzz/run-fuzz.sh)
#   make fuzz-corpus  regenerate the generated seeds (tests/fuzz/gen_corpus.c);
#                   tests/corpus/capture-e2e.sh makes the captured ones
FUZZ_TESTS := $(BUILD)/test_malformed $(BUILD)/test_corpus

# The two-builds test's halves, without its main, and what they include
# (tests/capture.mk).
AGREE_LIB  := $(filter-out tests/test_agree.c,$(AGREE_SRC))
MALFORMED  := tests/malformed.c tests/malformed.h

$(BUILD)/test_malformed: tests/test_malformed.c $(MALFORMED) $(AGREE_LIB) $(AGREE_DEPS) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -Itests tests/test_malformed.c tests/malformed.c $(AGREE_LIB) \
		-o $@ -lcmocka $(LIBS) $(PCAP_LIBS)

$(BUILD)/test_corpus: tests/test_corpus.c $(AGREE_LIB) $(AGREE_DEPS) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -Itests tests/test_corpus.c $(AGREE_LIB) \
		-o $@ -lcmocka $(LIBS) $(PCAP_LIBS)

$(BUILD)/gen_corpus: tests/fuzz/gen_corpus.c $(MALFORMED) $(CAPTURE_BUILD) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -Itests tests/fuzz/gen_corpus.c tests/malformed.c \
		tests/capture_build.c -o $@ $(PCAP_LIBS)

# ---- libFuzzer -----------------------------------------------------------------
FUZZ_CC     ?= clang
FUZZ_SECS   ?= 120
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer $(WARN) -Wno-unused-parameter -D_GNU_SOURCE \
	       -Iinclude -Ibpf -Iuser -Itests -DSS_VERSION='"$(VERSION)"'
# What user/capture.c calls, host code only.
FUZZ_USER   := user/handshake.c user/output.c user/wbuf.c user/p0f.c user/options.c user/flood.c user/flood_offline.c \
	       user/pcap_write.c user/tcpstat.c
FUZZ_DEPS   := $(FUZZ_USER) user/capture.c $(wildcard user/*.h) include/synscope.h \
	       include/sketch.h bpf/parse.h $(FUZZ_DIR)/libfuzzer.ok
FUZZERS     := $(FUZZ_DIR)/fuzz_packet $(FUZZ_DIR)/fuzz_capture

.PHONY: fuzz fuzz-build fuzz-corpus

fuzz: deps
	$(MAKE) fuzz-build $(BUILD)/test_corpus
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

$(FUZZ_DIR)/fuzz_packet: tests/fuzz/fuzz_packet.c tests/test_agree_host.c tests/test_agree.h \
			 tests/packets.h $(FUZZ_DEPS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_packet.c tests/test_agree_host.c $(FUZZ_USER) \
		-o $@ $(PCAP_LIBS) -lm

$(FUZZ_DIR)/fuzz_capture: tests/fuzz/fuzz_capture.c $(FUZZ_DEPS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_capture.c user/capture.c $(FUZZ_USER) \
		-o $@ $(PCAP_LIBS) -lm

# The generated seeds; the e2e-* captures are tests/corpus/capture-e2e.sh's.
fuzz-corpus: $(BUILD)/gen_corpus
	rm -f tests/corpus/packets/*.bin tests/corpus/pcap/scenario-* tests/corpus/pcap/malformed-*
	$(BUILD)/gen_corpus tests/corpus
