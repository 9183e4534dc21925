// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The kernel's drop and RST reasons by name (reasons.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "host/reasons.h"

/* One enum, by value: names[v] for 0 <= v < n (NULL: no such value). */
struct reason_table {
	char **names;
	uint32_t n;
};

struct ss_reasons {
	struct reason_table drop, rst;
};

static void table_free(struct reason_table *t)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

/* The enum `name` of btf into t, each name without `prefix`. Values past
 * a sanity bound (the kernel's are small and dense) are left out. -1 when
 * there is no such enum. */
static int table_load(struct reason_table *t, const struct btf *btf, const char *name,
		      const char *prefix)
{
	const size_t plen = strlen(prefix);
	const struct btf_type *ty;
	const struct btf_enum *e;
	uint32_t i, vlen, max = 0;
	int id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	if (id < 0)
		return -1;
	ty = btf__type_by_id(btf, (uint32_t)id);
	vlen = btf_vlen(ty);
	e = btf_enum(ty);
	for (i = 0; i < vlen; i++)
		if ((uint32_t)e[i].val < 4096 && (uint32_t)e[i].val + 1 > max)
			max = (uint32_t)e[i].val + 1;
	t->names = calloc(max ? max : 1, sizeof(*t->names));
	if (!t->names)
		return -1;
	t->n = max;
	for (i = 0; i < vlen; i++) {
		const char *s = btf__name_by_offset(btf, e[i].name_off);
		uint32_t v = (uint32_t)e[i].val;

		if (!s || v >= max || t->names[v])
			continue;
		if (!strncmp(s, prefix, plen))
			s += plen;
		t->names[v] = strdup(s);
	}
	return 0;
}

struct ss_reasons *ss_reasons_load(char *err, size_t n)
{
	struct ss_reasons *r = calloc(1, sizeof(*r));
	struct btf *btf;
	int a, b;

	if (!r) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(err, n, "cannot read the kernel's BTF: %s", strerror(errno));
		free(r);
		return NULL;
	}
	a = table_load(&r->drop, btf, "skb_drop_reason", "SKB_DROP_REASON_");
	b = table_load(&r->rst, btf, "sk_rst_reason", "SK_RST_REASON_");
	btf__free(btf);
	if (a && b) {
		snprintf(err, n, "the kernel's BTF has no drop or RST reasons (skb_drop_reason, "
			 "sk_rst_reason)");
		ss_reasons_free(r);
		return NULL;
	}
	return r;
}

void ss_reasons_free(struct ss_reasons *r)
{
	if (!r)
		return;
	table_free(&r->drop);
	table_free(&r->rst);
	free(r);
}

const char *ss_reason_name(const struct ss_reasons *r, int kind, uint32_t value)
{
	const struct reason_table *t = kind == SS_VD_RST ? &r->rst : &r->drop;

	return value < t->n ? t->names[value] : NULL;
}

uint32_t ss_reasons_count(const struct ss_reasons *r, int kind)
{
	return kind == SS_VD_RST ? r->rst.n : r->drop.n;
}
