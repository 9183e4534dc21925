# Benchmark tools, included from the Makefile (`include bench/bench.mk`).
# scripts/bench.sh builds them with `make bench-tools`; the guard lets it
# also run `make -f Makefile -f bench/bench.mk bench-tools` whether or not
# the Makefile includes this file.
#   bench_prog   kernel cost per packet (BPF_PROG_TEST_RUN), event ring
#                consumers, the bare XDP program for the veth benchmark,
#                BPF run-time stats, a SYN flood target; it links
#                libsynscope.a (the rings' reader and sizing)
#   bench_mkcap  writes a large synthetic capture (libpcap)
#   bench/verdict_cost  the kernel-verdict tracepoint programs' cost per
#                call against bare ones (bench/tp_bare.bpf.c): BPF run-time
#                stats, real traffic in namespaces of its own; it links
#                libsynscope.a, whose ss_verdicts_open() loads them as a
#                session does
# libpcap's and libbpf's headers clash: bench_prog.c includes only libbpf
# (and the library's live/ headers), mkcap.c only libpcap.
# A variant's bench_prog links the same libsynscope.a, built against
# build/synscope.skel.h: bench_prog checks that the variant's skeleton has
# the same layout where the library reads it.
#
# Variants for bench/variants.sh: $(BUILD)/bench-variants/NAME/synscope.bpf.c
# (a patched copy of bpf/synscope.bpf.c, written by the script) gives
# $(BUILD)/bench-variants/NAME/bench_prog, the same harness on that object.
ifndef SS_BENCH_MK
SS_BENCH_MK := 1

BENCH_TOOLS := $(BUILD)/bench_prog $(BUILD)/bench_mkcap $(BUILD)/bench/verdict_cost
BENCH_VARIANTS := $(BUILD)/bench-variants

.PHONY: bench-tools
bench-tools: $(BENCH_TOOLS)

$(BUILD)/bench_pass.bpf.o: bench/pass.bpf.c $(VMLINUX) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench_pass.skel.h: $(BUILD)/bench_pass.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_pass > $@

$(BUILD)/bench_prog: bench/bench_prog.c bench/stats.h tests/support/packets.h include/synscope.h \
		     $(BUILD)/synscope.skel.h $(BUILD)/bench_pass.skel.h $(LIB) | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LIB) $(LIBS) -lpthread

$(BUILD)/bench_mkcap: bench/mkcap.c tests/support/packets.h | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LIBS)

# build/bench/ is made here: the order-only $(BUILD) above has no rule
# that would make a subdirectory of it.
$(BUILD)/bench/tp_bare.bpf.o: bench/tp_bare.bpf.c $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/tp_bare.skel.h: $(BUILD)/bench/tp_bare.bpf.o
	$(BPFTOOL) gen skeleton $< name tp_bare > $@

$(BUILD)/bench/verdict_cost: bench/verdict_cost.c bench/stats.h $(USER_HDRS) $(LIB) \
			     $(BUILD)/bench/tp_bare.skel.h
	$(CC) $(CFLAGS) -I$(BUILD)/bench $< -o $@ $(LIB) $(LIBS)

# The variant's directory comes first on the include path: its skeleton
# replaces build/synscope.skel.h.
# Its headers (copied beside it by the script) come before bpf/ and include/.
$(BENCH_VARIANTS)/%/synscope.bpf.o: $(BENCH_VARIANTS)/%/synscope.bpf.c \
				    $(BENCH_VARIANTS)/%/parse.h $(VMLINUX)
	$(CLANG) $(BPF_CFLAGS) -I$(BENCH_VARIANTS)/$* -c $< -o $@

$(BENCH_VARIANTS)/%/synscope.skel.h: $(BENCH_VARIANTS)/%/synscope.bpf.o
	$(BPFTOOL) gen skeleton $< name synscope_bpf > $@

$(BENCH_VARIANTS)/%/bench_prog: bench/bench_prog.c bench/stats.h tests/support/packets.h include/synscope.h \
				$(BENCH_VARIANTS)/%/synscope.skel.h $(BUILD)/bench_pass.skel.h $(LIB)
	$(CC) -I$(BENCH_VARIANTS)/$* $(CFLAGS) $< -o $@ $(LIB) $(LIBS) -lpthread

endif
