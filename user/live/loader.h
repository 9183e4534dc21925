/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Loading the BPF object, attaching it without clobbering, detaching. */
#ifndef SS_LOADER_H
#define SS_LOADER_H

#include <net/if.h>
#include <stdint.h>
#include "cli/options.h"
#include "synscope.h"

enum ss_hook {
	SS_HOOK_XDP,       /* XDP link, ingress */
	SS_HOOK_TCX_IN,    /* tcx link */
	SS_HOOK_TCX_OUT,
	SS_HOOK_TC_IN,     /* classic tc clsact filter (kernels without tcx) */
	SS_HOOK_TC_OUT,
};

struct ss_attachment {
	enum ss_hook hook;
	int ifindex;
	char ifname[IF_NAMESIZE];
	struct bpf_link *link;   /* XDP */
	int link_fd;             /* tcx, -1 if none */
	int hook_created;        /* tc: we created the clsact qdisc */
	uint32_t tc_handle, tc_priority;
};

/* -i any may find many interfaces; -i lists at most SS_MAX_IFACES. */
#define SS_MAX_ATTACH 256   /* = SS_SOURCE_IFACES (modes/sink.h) */

struct synscope_bpf;

struct ss_loader {
	struct synscope_bpf *skel;
	struct ss_attachment att[SS_MAX_ATTACH];
	int natt;
	int ncpus;
	unsigned int ev_slots_log2;    /* each CPU's event ring: 2^this slots */
	struct ss_pend_set *pend;      /* the pending table, mapped */
	__u64 *pend_occ;               /* its groups' counts, mapped */
	uint64_t pend_key[2];          /* its hash key */
	/* -i any: the rtnetlink socket that announces new interfaces (-1:
	 * none), the mode to attach them in, what could not be attached */
	int link_watch_fd;
	/* counter slots (SS_IF_SLOTS): slot i counts ifindex slot_if[i] */
	int slot_if[SS_IF_SLOTS];
	char slot_name[SS_IF_SLOTS][IF_NAMESIZE];
	int nslots;
	struct ss_cgfilter *cgf;       /* --cgroup: owned_ends kept (cgfilter.h) */
	enum ss_mode any_mode;
	uint64_t any_skipped;
};

/* Open, configure from the options, load. acks_seen_fd: the verdict
 * programs' map of completing ACKs to share (ss_verdicts_acks_fd()), or
 * -1. err gets one line on failure. */
int ss_loader_load(struct ss_loader *l, const struct ss_options *o, int acks_seen_fd, char *err,
		   size_t n);
/* Attach to one interface in the given mode. */
int ss_loader_attach(struct ss_loader *l, const char *ifname, enum ss_mode mode,
		     char *err, size_t n);
/* Attach to every -i interface in o->mode (-i any: every interface);
 * with --cgroup, the subtree's sockets are read first (cgfilter.h). */
int ss_loader_attach_all(struct ss_loader *l, const struct ss_options *o, char *err, size_t n);
/* -i any: attach every interface the namespace has now, and open the
 * rtnetlink watch (before listing them, so none slips between the two)
 * that ss_loader_watch reads. */
int ss_loader_attach_any(struct ss_loader *l, enum ss_mode mode, char *err, size_t n);
/* Once per loop of the tracing thread (now: CLOCK_MONOTONIC ns). -i any:
 * attach the interfaces that appeared since the last call and forget
 * those that went, each change a line on stderr; --cgroup: refresh the
 * subtree's endpoints (every SS_CGF_PERIOD_NS). Never blocks. Returns how
 * many interfaces were attached. */
int ss_loader_watch(struct ss_loader *l, uint64_t now_ns);
/* Human description of what is attached, e.g. "veth0: xdp(native) in, tcx out". */
void ss_loader_describe(const struct ss_loader *l, char *buf, size_t n);
/* Name of an interface that is gone or changed index, or NULL (always
 * NULL with -i any, where interfaces come and go). */
const char *ss_loader_lost_iface(const struct ss_loader *l);
/* Where the event rings are, for ss_ring_open() (live/ring.h); with_raw:
 * the packets of -w too. */
struct ss_ring_maps;
void ss_loader_ring_maps(const struct ss_loader *l, int with_raw, struct ss_ring_maps *m);
/* The same for any opened skeleton (tests, make bench): size its rings
 * before the load (ncpus rings of 2^slots_log2 slots; with_raw: -w's
 * packets too), 0 or -1; and where they are, once loaded. */
int ss_loader_size_rings(struct synscope_bpf *s, int ncpus, unsigned int slots_log2, int with_raw);
void ss_loader_skel_rings(const struct synscope_bpf *s, int ncpus, int with_raw,
			  struct ss_ring_maps *m);
/* Sum the per-CPU counters, of every interface. */
int ss_loader_counters(const struct ss_loader *l, uint64_t out[SS_C_MAX]);
/* The counters of each interface, as many rows as fit in max: ifindex,
 * name, counters; the last row, ifindex 0 and name "other", for what has
 * no slot of its own (only when it counted anything). Returns the rows. */
int ss_loader_counters_by_iface(const struct ss_loader *l, struct ss_iface_counters *rows, int max);
/* Clear the pending table's stale slots (now: CLOCK_MONOTONIC ns); the
 * live ones: half-open handshakes. */
uint64_t ss_loader_sweep(struct ss_loader *l, uint64_t now_ns, uint64_t timeout_ns);
/* After attaching: drop every capability no longer needed, set
 * no_new_privs; -1 with a message printed on failure. */
int ss_loader_drop_privs(struct ss_loader *l, int verbose);
/* Detach everything (and stop watching for interfaces); the maps stay, to
 * be read once more. Safe to call twice. */
void ss_loader_detach(struct ss_loader *l);
/* Detach everything and free; safe to call twice and on a failed load. */
void ss_loader_close(struct ss_loader *l);

#endif /* SS_LOADER_H */
