# --metrics (user/metrics.c), included from the Makefile.
#   test_metrics   the exposition writer's text, and the server on
#                  127.0.0.1 port 0 through a raw-socket client
#   metrics_demo   the server alone with fixed families, for
#                  tests/e2e_metrics_server.sh (promtool, hostile clients,
#                  a real Prometheus scraping it)
# synscope itself links user/metrics.c with $(METRICS_LIBS).
METRICS_LIBS  := -lmicrohttpd -lpthread
METRICS_TESTS := $(BUILD)/test_metrics
METRICS_TOOLS := $(BUILD)/metrics_demo

$(BUILD)/test_metrics: tests/test_metrics.c user/metrics.c user/metrics.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_metrics.c user/metrics.c -o $@ -lcmocka $(METRICS_LIBS)

$(BUILD)/metrics_demo: tests/metrics_demo.c user/metrics.c user/metrics.h | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/metrics_demo.c user/metrics.c -o $@ $(METRICS_LIBS)

# user/exporter.c: the families synscope serves, from records and counters.
METRICS_TESTS += $(BUILD)/test_exporter
$(BUILD)/test_exporter: tests/test_exporter.c user/exporter.c user/exporter.h user/metrics.c user/handshake.c user/tcpstat.c user/whowhy.c user/cgroup.c | $(BUILD)
	$(CC) $(TEST_CFLAGS) tests/test_exporter.c user/exporter.c user/metrics.c user/handshake.c user/tcpstat.c user/whowhy.c user/cgroup.c -o $@ -lcmocka $(METRICS_LIBS)
