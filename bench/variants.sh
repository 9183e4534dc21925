#!/usr/bin/env bash
# Where the kernel time goes: the XDP program rebuilt with one part of its
# path cut out at a time, each measured with the kernel benchmark
# (build/bench-variants/NAME/bench_prog kernel ... xdp-core). A variant is
# a copy of the current bpf/synscope.bpf.c with one perl substitution; when
# the source no longer has what a substitution looks for, the variant is
# not measured and the table says so (a row of its own, and a line on
# stderr): never silently left out. These builds are for measuring only: some break what
# the program reports.
#
# The machine's speed drifts (a VM's neighbours), so the variants take
# turns: each round runs every variant once, each right after a run of
# "as built", and a variant's saving is taken against that run; the table
# shows the median [min, max] of those differences over the rounds.
#
#   bench/variants.sh [REPEAT [ROUNDS]]     markdown on stdout
# With VARIANTS_TSV=FILE, also "variant<TAB>class<TAB>ns<TAB>share%" lines
# there, medians (as built: its ns over bare; the others: their saving,
# negative, in ns and in % of the as-built run just before).
#
# BENCH_VARIANTS="as built,no clock" measures only the variants named.
#   bench/variants.sh --check    only applies every substitution: one line
#                                each, status 1 if any no longer matches
#                                (the smoke test; builds and runs nothing)
# As root. Used by scripts/bench.sh (part "variants").
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=0
if [ "${1:-}" = --check ]; then CHECK=1; shift; fi
REPEAT=${1:-100000}
ROUNDS=${2:-3}
VD=build/bench-variants
# BENCH_SRC: a directory holding a snapshot of bpf/*.{c,h} and include/*.h
# (scripts/bench.sh takes one before it builds, so the variants are of the
# program its other parts measured even when bpf/ changes meanwhile).
SRCDIR=${BENCH_SRC:-}
# Every header comes from the same place as the program: a variant built
# against the live decide.h would not be the program measured.
if [ -n "$SRCDIR" ]; then
	SRC=$SRCDIR/synscope.bpf.c
	HDRS=("$SRCDIR"/*.h)
else
	SRC=bpf/synscope.bpf.c
	HDRS=(bpf/*.h include/*.h)
fi

# name | what is cut | perl -0 substitution
VARIANTS=(
	'as built|nothing|'
	'return after parsing|everything after the parse: what is left is the interface slot, the first counter and the parse|s/\tkind = ss_packet\(&x, &c, &pkt, &now\);\n/\tss_inc(&x.c[SS_C_PACKETS]);\n\t(void)ss_parse_eth(&c, &pkt);\n\tkind = 0;\n/'
	'no interface slot|the if_slot lookup (every packet counts in slot 0)|s/sp = bpf_map_lookup_elem\(&if_slot, &idx\);/idx = 0; sp = &idx;/'
	'no pending table|every pending-table access: the SYN-ACK insert, the ACK take, the RST drop (ss_d_pend_set returns NULL)|s/return bpf_map_lookup_elem\(&pend, &index\);/(void)index;\n\treturn NULL;/'
	'no occupancy counts|the group counts (ss_d_pend_occ returns NULL: nothing skipped, nothing counted)|s/return bpf_map_lookup_elem\(&pend_occ, &group\);/(void)group;\n\treturn NULL;/'
	'no option copy|the copy of the TCP option bytes into a SYN or SYN-ACK event|s/s->opt_len = copy_options\([^;]*\);/s->opt_len = 0;\n\t\t(void)data, (void)data_end;/'
	'no clock|bpf_ktime_get_ns (events stamped 0)|s/bpf_ktime_get_ns\(\)/0/g'
	'no ring|the slot lookup, its fill and the publish: emit returns right after the shed check, the event counted as written (the positions are still read, for that check)|s/(\t\tcount_unwritten\(pc, kind, 0\);\n\t\treturn 0;\n\t\}\n)/$1\tss_inc(&pc->c[SS_C_EVENTS]);\n\treturn 0;\n/'
	'atomic publish|nothing cut: the publish by an atomic add, a full barrier, as where stores may pass each other, instead of the plain store x86 allows|s/if \(cfg_stores_ordered\) \{/if (0) {/'
	'no fill|the fill of the slot (its stamp kept): the slot is looked up and published, nothing else written to it|s/(\ts->e\.ts_ns = now \? now : bpf_ktime_get_ns\(\);\n).*?(\t\/\* Publish:)/$1\t(void)ctx, (void)is_skb, (void)pkt_len, (void)ifindex, (void)pkt, (void)dir, (void)data, (void)data_end;\n$2/s'
)
CLASSES=("established ACK" "SYN" "SYN-ACK" "RST" "IPv6 SYN, extension headers" "non-TCP" "filtered-out port" "SYN, consumer behind (shed)")

if [ "$CHECK" = 1 ]; then
	st=0
	for v in "${VARIANTS[@]}"; do
		IFS='|' read -r name what subst <<<"$v"
		[ -n "$subst" ] || continue
		if perl -0pe "$subst" "$SRC" | cmp -s "$SRC" -; then
			echo "$name: no longer matches $SRC"
			st=1
		else
			echo "$name: matches"
		fi
	done
	exit "$st"
fi

mkdir -p "$VD"
names=() whats=() dirs=() skipped=()
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name what subst <<<"$v"
	# BENCH_VARIANTS="as built,no clock": only those (the smoke test)
	if [ -n "${BENCH_VARIANTS:-}" ] && [[ ",$BENCH_VARIANTS," != *",$name,"* ]]; then
		continue
	fi
	dir=$VD/$(echo "$name" | tr ' ' '-')
	mkdir -p "$dir"
	if [ -n "$subst" ]; then
		perl -0pe "$subst" "$SRC" >"$dir/new.c"
		if cmp -s "$SRC" "$dir/new.c"; then
			echo "bench/variants.sh: $name: the substitution no longer matches $SRC: not measured" >&2
			skipped+=("$name|the source no longer has what this variant cuts (its substitution matched nothing): update bench/variants.sh")
			continue
		fi
	else
		cp "$SRC" "$dir/new.c"
	fi
	# The headers beside it: #include "..." looks there first. Only a
	# changed file rebuilds.
	for h in "${HDRS[@]}"; do
		cmp -s "$h" "$dir/$(basename "$h")" 2>/dev/null || cp "$h" "$dir/"
	done
	cmp -s "$dir/new.c" "$dir/synscope.bpf.c" 2>/dev/null || mv "$dir/new.c" "$dir/synscope.bpf.c"
	rm -f "$dir/new.c" "$dir/out.tsv"
	if ! ${MAKE:-make} -s --no-print-directory -f Makefile -f bench/bench.mk "$dir/bench_prog" >"$dir/build.log" 2>&1; then
		echo "bench/variants.sh: $name: build failed: $(head -c 300 "$dir/build.log")" >&2
		skipped+=("$name|its build failed (build/bench-variants/…/build.log)")
		continue
	fi
	names+=("$name") whats+=("$what") dirs+=("$dir")
done

run_variant() { # index slot: one measurement, appended to its out.tsv
	local d=${dirs[$1]}
	if ! BENCH_TSV=$d/round.tsv "$d/bench_prog" kernel "$REPEAT" 1 1000 xdp-core >/dev/null 2>"$d/run.log"; then
		echo "bench/variants.sh: ${names[$1]}: run failed: $(tail -c 300 "$d/run.log")" >&2
		return 0
	fi
	awk -F'\t' -v slot="$2" '{ print slot "\t" $2 "\t" $4 }' "$d/round.tsv" >>"$d/out.tsv"
}
# Each variant runs right after a run of "as built" (same slot): the two
# are a second apart, so a drift of the machine's speed rarely splits them.
for r in $(seq "$ROUNDS"); do
	echo "bench/variants.sh: round $r/$ROUNDS" >&2
	[ "${#names[@]}" = 1 ] && run_variant 0 "$r.0"
	for i in "${!names[@]}"; do
		[ "$i" = 0 ] && continue
		run_variant 0 "$r.$i"
		run_variant "$i" "$r.$i"
	done
done

# Per class: as built's over-bare median (all its runs), then each
# variant's saving (its over-bare minus the as-built run just before it),
# in ns and as a share of that as-built run: the machine's speed changes
# the ns, much less the share.
base=${dirs[0]}/out.tsv
[ -n "${VARIANTS_TSV:-}" ] && : >"$VARIANTS_TSV"
hdr="| variant: what is cut |"
sep="|---|"
for c in "${CLASSES[@]}"; do hdr+=" $c |"; sep+="--:|"; done
echo "$hdr"
echo "$sep"
for i in "${!names[@]}"; do
	row="| **${names[$i]}**: ${whats[$i]} |"
	for c in "${CLASSES[@]}"; do
		cell=$(awk -F'\t' -v c="$c" -v first="$i" '
			function sort(a, n,   i, j, t) {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
			function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
			FNR == NR { if ($2 == c) b[$1] = $3; next }
			$2 == c && ($1 in b) {
				n++
				if (first == 0) { v[n] = $3; next }
				v[n] = $3 - b[$1]; sh[n] = b[$1] > 0 ? 100 * ($3 - b[$1]) / b[$1] : 0 }
			END {
				if (!n) { print "-"; exit }
				sort(v, n)
				if (first == 0) {
					printf "%.0f [%.0f, %.0f]", med(v, n), v[1], v[n]
					if (tsv != "") printf "%s\t%s\t%.1f\t0\n", name, c, med(v, n) >> tsv
					exit
				}
				sort(sh, n)
				printf "%+.0f (%+.0f%% [%+.0f, %+.0f])", med(v, n), med(sh, n), sh[1], sh[n]
				if (tsv != "") printf "%s\t%s\t%.1f\t%.1f\n", name, c, med(v, n), med(sh, n) >> tsv }' \
			tsv="${VARIANTS_TSV:-}" name="${names[$i]}" "$base" "${dirs[$i]}/out.tsv")
		row+=" $cell |"
	done
	echo "$row"
done
for s in "${skipped[@]}"; do
	echo "| **${s%%|*}**: not measured: ${s#*|} |"
done
exit 0
