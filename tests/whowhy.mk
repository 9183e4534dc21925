# Who and why: the cgroup (user/cgroup.c) and TCP statistics
# (user/tcpstat.c) modules' tests, included from the Makefile, which
# defines BUILD, CC, TEST_CFLAGS and ASAN_FLAGS.
#   test_cgroup        unit/container rules; live on the cgroup2 mount (root)
#   test_tcpstat       procfs parsing, good and broken texts; a live read
#   *_asan             the same under AddressSanitizer + UBSan: every broken
#                      and truncated text is copied to a buffer of its length
#   tcpstat_dump       prints the module's reading, for tests/e2e_tcpstat.sh
WHOWHY_TESTS := $(BUILD)/test_cgroup $(BUILD)/test_cgroup_asan \
		$(BUILD)/test_tcpstat $(BUILD)/test_tcpstat_asan
WHOWHY_TOOLS := $(BUILD)/tcpstat_dump

$(BUILD)/test_cgroup: tests/test_cgroup.c user/cgroup.c user/cgroup.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_cgroup.c user/cgroup.c -o $@ -lcmocka

$(BUILD)/test_cgroup_asan: tests/test_cgroup.c user/cgroup.c user/cgroup.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) tests/test_cgroup.c user/cgroup.c -o $@ -lcmocka

$(BUILD)/test_tcpstat: tests/test_tcpstat.c user/tcpstat.c user/tcpstat.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_tcpstat.c user/tcpstat.c -o $@ -lcmocka

$(BUILD)/test_tcpstat_asan: tests/test_tcpstat.c user/tcpstat.c user/tcpstat.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) tests/test_tcpstat.c user/tcpstat.c -o $@ -lcmocka

$(BUILD)/tcpstat_dump: tests/tcpstat_dump.c user/tcpstat.c user/tcpstat.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/tcpstat_dump.c user/tcpstat.c -o $@

# user/whowhy.c (causes, cookie inference, cgroup lookups) over cgroup.c
# and tcpstat.c; handshake.h's types only.
WHOWHY_TESTS += $(BUILD)/test_whowhy
$(BUILD)/test_whowhy: tests/test_whowhy.c user/whowhy.c user/whowhy.h user/cgroup.c user/tcpstat.c | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_whowhy.c user/whowhy.c user/cgroup.c user/tcpstat.c -o $@ -lcmocka
