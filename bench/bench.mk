# Benchmark tools, included from the Makefile (`include bench/bench.mk`).
# scripts/bench.sh builds them with `make bench-tools`; the guard lets it
# also run `make -f Makefile -f bench/bench.mk bench-tools` whether or not
# the Makefile includes this file.
#   bench_prog   XDP cost per packet (BPF_PROG_TEST_RUN), BPF run-time stats
#   bench_mkcap  writes a large synthetic capture (libpcap)
# libpcap's and libbpf's headers clash: bench_prog.c includes only libbpf,
# mkcap.c only libpcap.
ifndef SS_BENCH_MK
SS_BENCH_MK := 1

BENCH_TOOLS := $(BUILD)/bench_prog $(BUILD)/bench_mkcap

.PHONY: bench-tools
bench-tools: $(BENCH_TOOLS)

$(BUILD)/bench_pass.bpf.o: bench/pass.bpf.c $(VMLINUX) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench_pass.skel.h: $(BUILD)/bench_pass.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_pass > $@

$(BUILD)/bench_prog: bench/bench_prog.c tests/packets.h include/synscope.h \
		     $(BUILD)/synscope.skel.h $(BUILD)/bench_pass.skel.h | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LIBS) -lpthread

$(BUILD)/bench_mkcap: bench/mkcap.c tests/packets.h | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(PCAP_LIBS)

endif
