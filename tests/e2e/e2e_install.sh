#!/usr/bin/env bash
# scripts/install.mk: make install into a DESTDIR of ours (never the real
# system), PREFIX=/usr, then what it put there (paths, modes, contents),
# that the page reads with man -l and is found by name under the tree's
# MANPATH, that the binary runs from there, that bash-completion loads the
# completion from there by name, and that make uninstall removes it all.
# Also: PREFIX defaults to /usr/local, and install refuses when build/ has
# no synscope.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

MK=(make -s --no-print-directory)
D=$TMP/root
if [ ! -x build/synscope ]; then
	echo "e2e_install: build/synscope is missing: build it first with 'make' (make deps installs what the build needs)" >&2
	not_ok "build/synscope exists"
	finish
	exit 1
fi
# man-db is not in scripts/install-deps.sh's list (yet): install it here, as root.
if ! command -v man >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "# installing man-db (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq --no-install-recommends man-db ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends man-db; }; } >/dev/null 2>&1
fi
for tool in man gzip; do
	command -v "$tool" >/dev/null || { echo "e2e_install: $tool is missing (apt-get install man-db gzip)" >&2; exit 1; }
done

mode_of() { stat -c %a "$1" 2>/dev/null || echo missing; }

if "${MK[@]}" install DESTDIR="$D" PREFIX=/usr >"$TMP/install.out" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	not_ok "make install: $(tr '\n' ' ' <"$TMP/install.out")"
fi

BINF=$D/usr/bin/synscope
MANF=$D/usr/share/man/man8/synscope.8.gz
COMPF=$D/usr/share/bash-completion/completions/synscope
check_eq "binary: $BINF, mode" "$(mode_of "$BINF")" 755
check_eq "man page: $MANF (gzipped), mode" "$(mode_of "$MANF")" 644
check_eq "completion: $COMPF, mode" "$(mode_of "$COMPF")" 644
cmp -s build/synscope "$BINF" && ok "the binary is build/synscope" || not_ok "the installed binary differs from build/synscope"
gzip -t "$MANF" 2>/dev/null && ok "the page is valid gzip" || not_ok "the page is not valid gzip"
gzip -dc "$MANF" 2>/dev/null | cmp -s - man/synscope.8 && ok "the page is man/synscope.8" || not_ok "the installed page differs from man/synscope.8"
cmp -s completion/synscope.bash "$COMPF" && ok "the completion is completion/synscope.bash" || not_ok "the installed completion differs"
check_eq "nothing else installed" "$(cd "$D" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" \
	"./usr/bin/synscope ./usr/share/bash-completion/completions/synscope ./usr/share/man/man8/synscope.8.gz "

# The page.
if MANPAGER=cat MANWIDTH=80 man --warnings -l "$MANF" >"$TMP/man.txt" 2>"$TMP/man.err" && [ ! -s "$TMP/man.err" ]; then
	ok "man -l on the installed page: no warning ($(wc -l <"$TMP/man.txt") lines)"
else
	not_ok "man -l on the installed page: $(head -3 "$TMP/man.err" | tr '\n' ' ')"
fi
grep -q '^SYNSCOPE(8)' "$TMP/man.txt" && ok "the page's header is SYNSCOPE(8)" || not_ok "no SYNSCOPE(8) header: $(head -1 "$TMP/man.txt")"
for s in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT METRICS PRIVILEGES "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
	grep -q "^$s\$" "$TMP/man.txt" || { not_ok "the page has a $s section"; continue; }
done
check_eq "the page's sections" "$(grep -c -x -E 'NAME|SYNOPSIS|DESCRIPTION|OPTIONS|OUTPUT|METRICS|PRIVILEGES|EXIT STATUS|FILES|EXAMPLES|SEE ALSO' "$TMP/man.txt")" 11
check_eq "man finds it by name under the tree (man -M ... -w synscope)" \
	"$(man -M "$D/usr/share/man" -w synscope 2>&1)" "$MANF"
# Every option of --help is in the page.
missing=""
for o in $("$BINF" --help 2>/dev/null | grep -o -E -- '(^|[ ,])--[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u); do
	grep -q -F -- "$o" "$TMP/man.txt" || missing+=" $o"
done
check_eq "every option of --help is in the page" "$missing" ""

# The binary.
if "$BINF" --help >"$TMP/help.out" 2>&1; then
	grep -q '^usage: synscope' "$TMP/help.out" && ok "$BINF --help runs" || not_ok "--help output: $(head -1 "$TMP/help.out")"
else
	not_ok "$BINF --help: exit $?: $(head -2 "$TMP/help.out" | tr '\n' ' ')"
fi

# bash-completion loads it on demand from the tree's share/ (XDG_DATA_DIRS).
BC=/usr/share/bash-completion/bash_completion
if [ -r "$BC" ]; then
	got=$(XDG_DATA_DIRS=$D/usr/share bash --norc --noprofile -c \
		". $BC; complete -r synscope 2>/dev/null; __load_completion synscope; complete -p synscope" 2>&1)
	check_eq "bash-completion loads it by name from $D/usr/share" "$got" "complete -F _synscope synscope"
else
	echo "# $BC is missing (apt-get install bash-completion): on-demand loading not checked"
fi

# Uninstall.
if "${MK[@]}" uninstall DESTDIR="$D" PREFIX=/usr >"$TMP/uninstall.out" 2>&1; then
	ok "make uninstall"
else
	not_ok "make uninstall: $(tr '\n' ' ' <"$TMP/uninstall.out")"
fi
check_eq "uninstall removed the three files" "$(cd "$D" && find . -type f | tr '\n' ' ')" ""
"${MK[@]}" uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1 && ok "uninstall twice is fine" || not_ok "a second uninstall fails"

# Defaults, dry run only (make -n runs nothing).
dry=$("${MK[@]}" -n install DESTDIR="$TMP/dry" 2>&1)
case $dry in
*"$TMP/dry/usr/local/bin/synscope"*"$TMP/dry/usr/local/share/man/man8/synscope.8.gz"*"$TMP/dry/usr/local/share/bash-completion/completions/synscope"*)
	ok "PREFIX defaults to /usr/local (make -n)" ;;
*) not_ok "default PREFIX: $dry" ;;
esac
[ ! -e "$TMP/dry" ] && ok "make -n installed nothing" || not_ok "make -n wrote $TMP/dry"
dry=$("${MK[@]}" -n install DESTDIR="$TMP/dry" PREFIX=/opt/s BINDIR=/opt/s/sbin MANDIR=/opt/s/man BASHCOMPDIR=/opt/s/bc 2>&1)
case $dry in
*"$TMP/dry/opt/s/sbin/synscope"*"$TMP/dry/opt/s/man/man8/synscope.8.gz"*"$TMP/dry/opt/s/bc/synscope"*) ok "BINDIR, MANDIR, BASHCOMPDIR override" ;;
*) not_ok "overrides: $dry" ;;
esac

# Nothing built: install says so and fails.
"${MK[@]}" install BUILD="$TMP/nobuild" DESTDIR="$TMP/nb" PREFIX=/usr >"$TMP/nb.out" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q "build it first with 'make'" "$TMP/nb.out" && [ ! -e "$TMP/nb" ]; then
	ok "install without a build fails and says how to build ($(head -1 "$TMP/nb.out"))"
else
	not_ok "install without a build: exit $rc: $(tr '\n' ' ' <"$TMP/nb.out")"
fi

finish
