# bash completion for synscope(8)                          -*- shell-script -*-
#
# Install as $(PREFIX)/share/bash-completion/completions/synscope (loaded on
# demand by bash-completion), or source it from ~/.bashrc.
#
# Works with bash-completion's helpers (_init_completion, _filedir) when
# they are loaded, and without them (plain compgen), with the same results:
#   first word        top (and the options)
#   -...              option names, long and short
#   -i IFACE          the network namespace's interfaces (/sys/class/net) and "any"
#   -r FILE           *.pcap *.pcapng *.cap (any case) and directories; when
#                     nothing of those matches, any file (a capture needs no
#                     particular name)
#   -w FILE           any file
#   --p0f-db FILE     any file, and "none"
#   -o                text json
#   --mode            auto xdp tc
#   --cgroup PATH     directories under the cgroup2 mount (/proc/self/mountinfo):
#                     absolute (/sys/fs/cgroup/a/) or, typed without a leading
#                     slash, relative to the cgroup2 root (a/b/)
#   numeric options, --host, --metrics: nothing
# --opt=value is completed like --opt value.
# shellcheck shell=bash disable=SC2207

_synscope_opts='-i --interface -r --read -w --write -s --snaplen --top
-o --output -l --line-buffered --packets --explain -c --count --duration
-p --port --host --cgroup --mode --timeout --max-flows --event-rate
--interval --alert-syn-rate --alert-incomplete --top-n --ringbuf-kib
--metrics --p0f-db -v --verbose -V --version -h --help'

# The interfaces of the network namespace /sys belongs to, and "any".
_synscope_ifaces()
{
    local d names=(any)
    for d in /sys/class/net/*; do
        [[ -e $d ]] && names+=("${d##*/}")
    done
    printf '%s\n' "${names[@]}"
}

# The cgroup2 mount point as synscope picks it in /proc/self/mountinfo: the
# first mount of the whole hierarchy (root "/"), else the first of a
# subtree. Fails when there is none.
#   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
_synscope_cgroup_mount()
{
    local line i sub="" IFS=$' \t\n'
    local -a f
    while IFS= read -r line; do
        read -r -a f <<<"$line"
        for ((i = 6; i < ${#f[@]}; i++)); do
            [[ ${f[i]} == - ]] && break
        done
        [[ ${f[i + 1]-} == cgroup2 ]] || continue
        # mountinfo escapes space, tab, newline and backslash as \ooo
        if [[ ${f[3]} == / ]]; then
            printf '%b\n' "${f[4]//\\/\\0}"
            return 0
        fi
        [[ $sub ]] || sub=${f[4]}
    done </proc/self/mountinfo 2>/dev/null
    [[ $sub ]] || return 1
    printf '%b\n' "${sub//\\/\\0}"
}

# Directories under the cgroup2 mount, each with a trailing slash.
_synscope_cgroups()
{
    local mnt d
    local -a cand=()
    mnt=$(_synscope_cgroup_mount) || return 0
    [[ $mnt == / ]] && mnt=
    if [[ $cur == /* ]]; then
        if [[ $cur == "$mnt"/* ]]; then
            mapfile -t cand < <(compgen -d -- "$cur")
        elif [[ $mnt/ == "$cur"* ]]; then
            # a prefix of the mount point: the mount's own subdirectories
            mapfile -t cand < <(compgen -d -- "$mnt/")
        fi
        for d in "${cand[@]}"; do COMPREPLY+=("$d/"); done
    else
        mapfile -t cand < <(compgen -d -- "$mnt/$cur")
        for d in "${cand[@]}"; do COMPREPLY+=("${d#"$mnt/"}/"); done
    fi
    # the slash is ours: no space after it, and no filename quoting
    ((${#COMPREPLY[@]})) && compopt -o nospace 2>/dev/null
    return 0
}

# File names. $1: an extglob of extensions ("pcap|pcapng|cap") preferred,
# directories always; any file when none of those match.
_synscope_files()
{
    local ext=${1-}
    if declare -F _filedir >/dev/null; then
        if [[ $ext ]]; then
            _filedir "$ext"
            ((${#COMPREPLY[@]})) && return 0
        fi
        _filedir
        return 0
    fi
    local reset toks=() dirs=()
    reset=$(shopt -p extglob)
    shopt -s extglob
    if [[ $ext ]]; then
        mapfile -t toks < <(compgen -f -X "!*.@($ext|${ext^^})" -- "$cur")
        mapfile -t dirs < <(compgen -d -- "$cur")
        toks+=("${dirs[@]}")
    fi
    ((${#toks[@]})) || mapfile -t toks < <(compgen -f -- "$cur")
    eval "$reset"
    if ((${#toks[@]})); then
        compopt -o filenames 2>/dev/null
        # one entry per name: a directory may match both lists
        local -A seen=()
        local t
        for t in "${toks[@]}"; do
            [[ ${seen[$t]-} ]] && continue
            seen[$t]=1
            COMPREPLY+=("$t")
        done
    fi
    return 0
}

_synscope()
{
    local cur prev words cword split=false
    : "${words-}"  # set by _init_completion; unused here
    COMPREPLY=()
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]-}
        prev=${COMP_WORDS[COMP_CWORD - 1]-}
        # COMP_WORDBREAKS holds '=': "--mode=x" arrives as --mode = x
        if [[ $cur == = && $prev == --* ]]; then
            cur="" split=true
        elif [[ $prev == = ]] && ((cword >= 2)) && [[ ${COMP_WORDS[cword - 2]} == --* ]]; then
            prev=${COMP_WORDS[cword - 2]} split=true
        elif [[ $cur == --?*=* ]]; then
            prev=${cur%%=*} cur=${cur#*=} split=true
        fi
    fi

    case $prev in
        -i | --interface)
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(_synscope_ifaces)" -- "$cur"))
            return
            ;;
        -r | --read)
            _synscope_files 'pcap|pcapng|cap'
            return
            ;;
        -w | --write)
            _synscope_files
            return
            ;;
        --p0f-db)
            _synscope_files
            [[ none == "$cur"* ]] && COMPREPLY+=(none)
            return
            ;;
        -o | --output)
            COMPREPLY=($(compgen -W 'text json' -- "$cur"))
            return
            ;;
        --mode)
            COMPREPLY=($(compgen -W 'auto xdp tc' -- "$cur"))
            return
            ;;
        --cgroup)
            _synscope_cgroups
            return
            ;;
        -s | --snaplen | -c | --count | --duration | -p | --port | --host | \
            --timeout | --max-flows | --event-rate | --interval | \
            --alert-syn-rate | --alert-incomplete | --top-n | --ringbuf-kib | \
            --metrics)
            return
            ;;
    esac
    # --opt=value of an option taking no value: nothing to offer
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_synscope_opts" -- "$cur"))
    elif ((cword == 1)); then
        COMPREPLY=($(compgen -W "top $_synscope_opts" -- "$cur"))
    elif [[ -z $cur ]]; then
        # no operands: what can follow is an option
        COMPREPLY=($(compgen -W "$_synscope_opts" -- "$cur"))
    fi
} &&
    complete -F _synscope synscope

# ex: filetype=sh
