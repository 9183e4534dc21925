// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Plays "another tool" on an interface for the coexistence tests:
 *   foreign_attach OBJ IFACE HITS_FILE SECONDS pass|next
 * attaches OBJ's foreign_xdp (netlink, native mode: it stays without us),
 * foreign_tc_classic (a clsact filter, handle 1 priority 1) and
 * foreign_tcx_in/out (tcx links, held by this process; they end the tcx
 * chain with "pass" or hand on with "next"). Every 50 ms it
 * rewrites HITS_FILE with "xdp N tc N tcx_in N tcx_out N". After SECONDS
 * (or SIGTERM) it removes what it attached and exits.
 *   foreign_attach --tcx IFACE
 * lists the tcx programs of IFACE in chain order, "in: NAME...; out: NAME..."
 * (bpftool 7.1 does not know tcx).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TCX_INGRESS 46
#define TCX_EGRESS 47

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int die(const char *what, int e)
{
	fprintf(stderr, "foreign_attach: %s: %s\n", what, strerror(e < 0 ? -e : e));
	return 1;
}

static void write_hits(int map_fd, const char *path)
{
	unsigned long long v[4] = { 0 };
	char tmp[4096];
	FILE *f;
	__u32 i;

	for (i = 0; i < 4; i++)
		bpf_map_lookup_elem(map_fd, &i, &v[i]);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "xdp %llu tc %llu tcx_in %llu tcx_out %llu\n", v[0], v[1], v[2], v[3]);
	fclose(f);
	rename(tmp, path);
}

static void list_tcx(int ifindex, int type, const char *label)
{
	__u32 ids[64], n = 64, i, len;
	struct bpf_prog_info info;
	int fd;

	printf("%s:", label);
	if (bpf_prog_query(ifindex, type, 0, NULL, ids, &n) == 0)
		for (i = 0; i < n; i++) {
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				printf(" %s", info.name);
			if (fd >= 0)
				close(fd);
		}
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	int ifindex, e, in_fd, out_fd, map_fd;
	double secs;
	struct timespec t0, now;

	if (argc == 3 && strcmp(argv[1], "--tcx") == 0) {
		ifindex = if_nametoindex(argv[2]);
		if (!ifindex)
			return die(argv[2], errno);
		list_tcx(ifindex, TCX_INGRESS, "in");
		list_tcx(ifindex, TCX_EGRESS, "; out");
		printf("\n");
		return 0;
	}
	if (argc != 6 || (strcmp(argv[5], "pass") && strcmp(argv[5], "next")))
		return fprintf(stderr, "usage: foreign_attach OBJ IFACE HITS_FILE SECONDS pass|next\n"), 2;
	ifindex = if_nametoindex(argv[2]);
	secs = atof(argv[4]);
	if (!ifindex)
		return die(argv[2], errno);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return die("open", errno);
	/* rodata of the object: tcx_verdict is its only variable */
	{
		struct bpf_map *m, *ro = NULL;
		int verdict = strcmp(argv[5], "pass") ? -1 : 0;

		bpf_object__for_each_map(m, obj)
			if (strstr(bpf_map__name(m), ".rodata"))
				ro = m;

		if (!ro || bpf_map__set_initial_value(ro, &verdict, sizeof(verdict)))
			return die("rodata", EINVAL);
	}
	e = bpf_object__load(obj);
	if (e)
		return die("load", e);
	map_fd = bpf_object__find_map_fd_by_name(obj, "foreign_hits");

	e = bpf_xdp_attach(ifindex, bpf_program__fd(bpf_object__find_program_by_name(obj, "foreign_xdp")),
			   XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (e)
		return die("xdp attach", e);

	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1,
		    .prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "foreign_tc_classic")));
	e = bpf_tc_hook_create(&hook);
	if (e && e != -EEXIST)
		return die("clsact", e);
	e = bpf_tc_attach(&hook, &tc);
	if (e)
		return die("tc attach", e);

	in_fd = bpf_link_create(bpf_program__fd(bpf_object__find_program_by_name(obj, "foreign_tcx_in")),
				ifindex, TCX_INGRESS, NULL);
	out_fd = bpf_link_create(bpf_program__fd(bpf_object__find_program_by_name(obj, "foreign_tcx_out")),
				 ifindex, TCX_EGRESS, NULL);
	if (in_fd < 0 || out_fd < 0)
		return die("tcx attach", errno);

	write_hits(map_fd, argv[3]);
	printf("attached\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		usleep(50000);
		write_hits(map_fd, argv[3]);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec + (now.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
			break;
	}
	close(in_fd);
	close(out_fd);
	tc.prog_fd = tc.flags = tc.prog_id = 0;
	e = bpf_tc_detach(&hook, &tc);
	if (e)
		die("tc detach", e);
	e = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (e)
		die("xdp detach", e);
	bpf_object__close(obj);
	return 0;
}
