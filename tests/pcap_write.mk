# The -w writer (user/pcap_write.c), included from the Makefile.
#   test_pcap_write       cmocka units: records read back through libpcap
#                         (nanosecond times, caplen and wire length, link
#                         type, bytes), -w - on a copy of fd 1, and the
#                         failures: a directory, /dev/full, a file size
#                         limit mid-stream, a reader gone (EPIPE)
#   test_pcap_write_asan  the same under AddressSanitizer + UBSan
# tests/e2e_write.sh checks the live and offline paths end to end.
PCAP_WRITE_TESTS := $(BUILD)/test_pcap_write $(BUILD)/test_pcap_write_asan

$(BUILD)/test_pcap_write: tests/test_pcap_write.c user/pcap_write.c user/pcap_write.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_pcap_write.c user/pcap_write.c -o $@ -lcmocka $(PCAP_LIBS)

$(BUILD)/test_pcap_write_asan: tests/test_pcap_write.c user/pcap_write.c user/pcap_write.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) tests/test_pcap_write.c user/pcap_write.c -o $@ -lcmocka $(PCAP_LIBS)
