#!/usr/bin/env bash
# completion/synscope.bash, driven the way bash drives it: COMP_LINE,
# COMP_POINT, COMP_WORDS (split at blanks and at '=' as COMP_WORDBREAKS
# does) and COMP_CWORD set, then _synscope called, COMPREPLY compared.
# Every case runs twice: with bash-completion's helpers sourced
# (_init_completion, _filedir; when the package is installed) and without
# them (plain compgen), each in a fresh bash.
#   -i     in a network namespace of its own (only lo), removed on exit
#   -r/-w  in a temp directory holding a.pcap c.pcapng D.CAP b.txt dir/x.cap:
#          -r offers the captures and dir (b.txt only when no capture or
#          directory matches, e.g. "-r b"), -w every name
#   --cgroup  against the cgroup2 mount of /proc/self/mountinfo (read only)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

COMPLETION=$PWD/completion/synscope.bash
HELPERS=${BASH_COMPLETION_HELPERS:-/usr/share/bash-completion/bash_completion}
NS="sscomp-$$"

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	if [ -n "${CG_MINE:-}" ]; then rmdir "$CG_MINE"/* "$CG_MINE" 2>/dev/null || true; fi
	teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r "$COMPLETION" ] || { echo "e2e_completion: $COMPLETION is missing" >&2; exit 1; }
# bash-completion is not in scripts/install-deps.sh's list (yet): install it
# here, as root; without it only the plain mode runs.
if [ ! -r "$HELPERS" ] && [ -z "${BASH_COMPLETION_HELPERS:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "# installing bash-completion (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq --no-install-recommends bash-completion ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends bash-completion; }; } >/dev/null 2>&1
fi
MODES=(plain)
if [ -r "$HELPERS" ]; then
	MODES+=(helpers)
else
	echo "# $HELPERS is missing (apt-get install bash-completion): only the plain mode runs"
fi

# The driver: drive.sh MODE DIR LINE -> COMPREPLY sorted, space-separated.
cat >"$TMP/drive.sh" <<'DRIVE'
mode=$1 dir=$2 line=$3
cd "$dir" || exit 1
COMP_WORDBREAKS=${COMP_WORDBREAKS-$' \t\n"\'><=;|&(:'}
[ "$mode" = helpers ] && . "$HELPERS"
. "$COMPLETION"
if [ "$line" = "complete -p" ]; then complete -p synscope; exit; fi
COMP_WORDS=()
read -r -a ws <<<"$line"
for w in "${ws[@]}"; do
	while [[ $w == *=* ]]; do
		[[ -n ${w%%=*} ]] && COMP_WORDS+=("${w%%=*}")
		COMP_WORDS+=("=")
		w=${w#*=}
	done
	[[ -n $w ]] && COMP_WORDS+=("$w")
done
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
COMPREPLY=()
_synscope synscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
DRIVE

drive() { # mode dir line
	HELPERS=$HELPERS COMPLETION=$COMPLETION bash --norc --noprofile "$TMP/drive.sh" "$@" 2>"$TMP/drive.err"
	[ -s "$TMP/drive.err" ] && sed 's/^/# stderr: /' "$TMP/drive.err"
}

# The capture directory.
W=$TMP/files
mkdir -p "$W/dir"
touch "$W/a.pcap" "$W/c.pcapng" "$W/D.CAP" "$W/b.txt" "$W/dir/x.cap"

# The cgroup2 mount as the kernel lists it; a cgroup of ours in it (two
# empty children, no process), removed on exit; the root's subdirectories.
CG=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup2" && $4 == "/") { print $5; exit } }' /proc/self/mountinfo)
CG_ABS="" CG_REL="" CG_FIRST="" CG_MINE=""
if [ -n "$CG" ] && mkdir "$CG/sscomp-$$" 2>/dev/null; then
	CG_MINE=$CG/sscomp-$$
	mkdir "$CG_MINE/child.slice" "$CG_MINE/other" || not_ok "mkdir in $CG_MINE"
fi
if [ -n "$CG" ]; then
	subdirs() { find "$CG" -mindepth 1 -maxdepth 1 -type d -printf "$1" | LC_ALL=C sort; }
	CG_ABS=$(subdirs '%p/\n' | tr '\n' ' ' | sed 's/ $//')
	CG_REL=$(subdirs '%f/\n' | tr '\n' ' ' | sed 's/ $//')
	CG_FIRST=$(subdirs '%f\n' | head -1)
fi

OPTS=$(. "$COMPLETION"; echo "$_synscope_opts")
OPTS_N=$(echo "$OPTS" | wc -w)
# The binary's options, all offered (when it is built).
if [ -x "$BIN" ]; then
	missing=""
	for o in $("$BIN" --help 2>/dev/null | grep -o -E -- '(^|[ ,])--?[a-zA-Z][a-z0-9-]*' | tr -d ' ,' | sort -u); do
		case " $(echo $OPTS) " in *" $o "*) ;; *) missing+=" $o" ;; esac
	done
	check_eq "every option of $BIN --help is completed" "$missing" ""
else
	echo "# $BIN is missing: its --help not compared with the completion's options"
fi
ip netns add "$NS" || not_ok "ip netns add $NS"

for m in "${MODES[@]}"; do
	check_eq "[$m] registered for synscope" "$(drive "$m" . "complete -p")" "complete -F _synscope synscope"
	check_eq "[$m] first word t -> top" "$(drive "$m" . "synscope t")" "top"
	check_eq "[$m] first word --t -> --top --top-n --timeout" "$(drive "$m" . "synscope --t")" "--timeout --top --top-n"
	check_eq "[$m] -o -> text json" "$(drive "$m" . "synscope -o ")" "json text"
	check_eq "[$m] --output j -> json" "$(drive "$m" . "synscope top --output j")" "json"
	check_eq "[$m] --mo -> --mode" "$(drive "$m" . "synscope -i lo --mo")" "--mode"
	check_eq "[$m] --mode -> auto xdp tc" "$(drive "$m" . "synscope -i lo --mode ")" "auto tc xdp"
	check_eq "[$m] --mode=x -> xdp" "$(drive "$m" . "synscope -i lo --mode=x")" "xdp"
	check_eq "[$m] - -> every option ($OPTS_N)" "$(drive "$m" . "synscope top -" | wc -w)" "$OPTS_N"
	check_eq "[$m] --pa after values -> --packets" "$(drive "$m" . "synscope top -i lo -o json --pa")" "--packets"
	got=$(drive "$m" . "synscope -i lo ")
	case " $got " in
	*" --mode "*" -r "*) case " $got " in *" top "*) not_ok "[$m] after a value: top offered ($got)" ;; *) ok "[$m] after a value: the options, no top" ;; esac ;;
	*) not_ok "[$m] after a value: got '$got'" ;;
	esac
	bad=""
	for o in -s --snaplen -c --count --duration -p --port --host --timeout --max-flows --event-rate \
		--interval --alert-syn-rate --alert-incomplete --top-n --ringbuf-kib --metrics; do
		got=$(drive "$m" "$W" "synscope -i lo $o ")
		[ -n "$got" ] && bad+=" $o: '$got';"
	done
	check_eq "[$m] numeric options, --host, --metrics complete nothing" "$bad" ""
	check_eq "[$m] -i (namespace with lo only) -> any lo" "$(ip netns exec "$NS" bash -c "$(declare -f drive); TMP=$TMP HELPERS=$HELPERS COMPLETION=$COMPLETION drive $m . 'synscope -i '")" "any lo"
	check_eq "[$m] --interface=l -> lo" "$(ip netns exec "$NS" bash -c "$(declare -f drive); TMP=$TMP HELPERS=$HELPERS COMPLETION=$COMPLETION drive $m . 'synscope --interface=l'")" "lo"
	check_eq "[$m] -r -> captures and directories, not b.txt" "$(drive "$m" "$W" "synscope -r ")" "D.CAP a.pcap c.pcapng dir"
	check_eq "[$m] -r b -> b.txt (no capture matches: any file)" "$(drive "$m" "$W" "synscope top -r b")" "b.txt"
	check_eq "[$m] -r dir/ -> dir/x.cap" "$(drive "$m" "$W" "synscope -r dir/")" "dir/x.cap"
	check_eq "[$m] -w -> any file" "$(drive "$m" "$W" "synscope -i lo -w ")" "D.CAP a.pcap b.txt c.pcapng dir"
	check_eq "[$m] --p0f-db -> files and none" "$(drive "$m" "$W" "synscope -i lo --p0f-db ")" "D.CAP a.pcap b.txt c.pcapng dir none"
	if [ -n "$CG" ] && [ -n "$CG_FIRST" ]; then
		check_eq "[$m] --cgroup -> the cgroup2 root's directories, relative" "$(drive "$m" . "synscope -i lo --cgroup ")" "$CG_REL"
		check_eq "[$m] --cgroup $CG/ -> absolute" "$(drive "$m" . "synscope -i lo --cgroup $CG/")" "$CG_ABS"
		check_eq "[$m] --cgroup ${CG:0:3} (a prefix of the mount) -> absolute" "$(drive "$m" . "synscope -i lo --cgroup ${CG:0:3}")" "$CG_ABS"
		check_eq "[$m] --cgroup ${CG_FIRST:0:3} -> relative to the cgroup2 root" \
			"$(drive "$m" . "synscope -i lo --cgroup ${CG_FIRST:0:3}" | tr ' ' '\n' | grep -c -x -F "$CG_FIRST/")" 1
		check_eq "[$m] --cgroup /nonexistent -> nothing" "$(drive "$m" . "synscope -i lo --cgroup /nonexistent")" ""
	else
		skip "[$m] --cgroup completion: no cgroup2 mount with subdirectories here"
	fi
	if [ -n "$CG_MINE" ]; then
		check_eq "[$m] --cgroup sscomp-$$/ -> its children, relative" \
			"$(drive "$m" . "synscope -i lo --cgroup sscomp-$$/")" "sscomp-$$/child.slice/ sscomp-$$/other/"
		check_eq "[$m] --cgroup=$CG_MINE/c -> absolute child" \
			"$(drive "$m" . "synscope -i lo --cgroup=$CG_MINE/c")" "$CG_MINE/child.slice/"
	fi
	# A mount point with a space (mountinfo writes it \040), in a mount
	# namespace of ours where it is the only cgroup2 mount.
	if [ -n "$CG" ] && command -v unshare >/dev/null; then
		mkdir -p "$TMP/c g"
		got=$(unshare -m --propagation private bash -c "umount -l '$CG' && mount -t cgroup2 none '$TMP/c g' &&
			$(declare -f drive); TMP=$TMP HELPERS=$HELPERS COMPLETION=$COMPLETION drive $m . 'synscope --cgroup /'" 2>&1)
		check_eq "[$m] --cgroup / with the mount at '$TMP/c g' -> its directories" "$got" \
			"$(find "$CG" -mindepth 1 -maxdepth 1 -type d -printf "$TMP/c g/%f/\n" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
		# Only a subtree mounted (a container's view): that one, as synscope does.
		if [ -n "$CG_MINE" ]; then
			mkdir -p "$TMP/sub"
			got=$(unshare -m --propagation private bash -c "mount --bind '$CG_MINE' '$TMP/sub' && umount -l '$CG' &&
				$(declare -f drive); TMP=$TMP HELPERS=$HELPERS COMPLETION=$COMPLETION drive $m . 'synscope --cgroup '" 2>&1)
			check_eq "[$m] --cgroup with only a subtree mounted -> the subtree's directories" "$got" "child.slice/ other/"
		fi
	fi
done

finish
