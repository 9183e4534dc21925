# Offline mode (-r) tests, included from the Makefile. They add themselves
# to unit-tests; scripts/run-tests.sh runs them when built.
#   test_capture  runs build/synscope -r on hand-made captures and checks
#                 records, counters, error lines and exit codes
#   test_agree    the host replay (user/capture.c, compiled into the test)
#                 against the kernel program through BPF_PROG_TEST_RUN,
#                 packet by packet (root)
# libpcap's and libbpf's headers clash (struct bpf_insn, bpf_program): the
# pcap side (test_agree_host.c, capture_build.c) and the libbpf side
# (test_agree.c, test_agree_kernel.c, loader.c) are separate files linked
# together.
CAPTURE_TESTS := $(BUILD)/test_capture $(BUILD)/test_agree
CAPTURE_BUILD := tests/capture_build.c tests/capture_build.h tests/packets.h


$(BUILD)/test_capture: tests/test_capture.c $(CAPTURE_BUILD) $(BUILD)/synscope | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_capture.c tests/capture_build.c -o $@ -lcmocka $(PCAP_LIBS)

AGREE_SRC := tests/test_agree.c tests/test_agree_kernel.c tests/test_agree_host.c tests/capture_build.c \
	     user/loader.c user/options.c user/handshake.c user/output.c user/wbuf.c user/p0f.c \
	     user/flood.c user/flood_offline.c user/privs.c user/tc_list.c user/pcap_write.c user/tcpstat.c \
	     user/cgfilter.c user/cgroup.c
# What AGREE_SRC includes; tests/fuzz.mk's suites depend on it too.
AGREE_DEPS := tests/test_agree.h $(CAPTURE_BUILD) user/capture.c $(wildcard user/*.h) \
	      include/synscope.h bpf/parse.h $(BUILD)/synscope.skel.h

$(BUILD)/test_agree: $(AGREE_SRC) $(AGREE_DEPS) | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(AGREE_SRC) -o $@ -lcmocka $(LIBS) $(PCAP_LIBS)
