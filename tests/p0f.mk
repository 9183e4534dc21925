# p0f v3 fingerprints (user/p0f.c), included from the Makefile.
#   test_p0f       cmocka units: crafted packets -> raw_sig, p0f.fp parsing
#                  and its errors, matching (exact, generic, fuzzy), the cache
#   test_p0f_asan  the same under AddressSanitizer + UBSan
#   p0f_check      the module over a capture, for tests/e2e_p0f.sh
#                  (agreement with Debian's p0f); --bench, --craft
P0F_TESTS := $(BUILD)/test_p0f $(BUILD)/test_p0f_asan $(BUILD)/p0f_check

$(BUILD)/test_p0f: tests/test_p0f.c user/p0f.c user/p0f.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_p0f.c user/p0f.c -o $@ -lcmocka

$(BUILD)/test_p0f_asan: tests/test_p0f.c user/p0f.c user/p0f.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) tests/test_p0f.c user/p0f.c -o $@ -lcmocka

$(BUILD)/p0f_check: tests/p0f_check.c user/p0f.c user/p0f.h $(CAPTURE_BUILD) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -Itests tests/p0f_check.c user/p0f.c tests/capture_build.c -o $@ $(PCAP_LIBS)
