#!/bin/bash
# The bash completion (completion/ccexp.bash) sourced in a plain bash: what it offers for a few
# command lines, and that each command's options include every long option its --help lists.
set -u
src=${CCX_SOURCE_DIR:-$(dirname "$0")/../..}
tmp=$(mktemp -d /tmp/ccx-completion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
. "$src/completion/ccexp.bash" || { echo "cannot source completion/ccexp.bash"; exit 1; }
fails=0

# complete WORD... : COMPREPLY for the command line, the cursor on the last word, sorted.
complete_line()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ccexp ccexp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect()
{
	local want=$1 got
	shift
	got=$(complete_line "$@")
	if [[ $got != "$want" ]]; then
		echo "FAIL: '$*': got '$got', want '$want'"
		fails=$((fails + 1))
	fi
}

cd "$tmp" && mkdir -p exps/sub results && touch a.cfg b.cfg notes.txt exps/c.cfg exps/d.txt
expect "check cleanup compare" ccexp c
expect "check cleanup compare list plot run sweep watch" ccexp ""
expect "sweep" ccexp -v sw
expect "--verbose --version" ccexp --ver
expect "a.cfg b.cfg exps results" ccexp run ""
expect "exps/c.cfg exps/sub" ccexp sweep -j 2 exps/
expect "--dry-run" ccexp sweep --dr
expect "slurm" ccexp sweep --emit s
expect "given shuffled" ccexp sweep --order ""
expect "exps results" ccexp run -o ""
expect "exps results" ccexp plot ""
expect "pdf png svg" ccexp compare --format ""
expect "--json" ccexp check --j
expect "" ccexp sweep -j ""

# Every long option of each command's --help is offered.
if [[ -n ${CCEXP:-} ]]; then
	for cmd in run sweep plot compare watch check list cleanup; do
		offered=" $(complete_line ccexp "$cmd" --) "
		for opt in $("$CCEXP" "$cmd" --help | grep -oE '(^|[^a-z-])--[a-z][a-z-]+' |
			     grep -oE -- '--[a-z-]+' | sort -u); do
			if [[ $offered != *" $opt "* ]]; then
				echo "FAIL: 'ccexp $cmd --' does not offer $opt (in its --help)"
				fails=$((fails + 1))
			fi
		done
	done
	for cmd in $("$CCEXP" --help | awk '/^commands:/ {on = 1; next} on && NF == 0 {exit}
					     on {print $1}'); do
		[[ " $(complete_line ccexp "") " == *" $cmd "* ]] ||
			{ echo "FAIL: subcommand $cmd (ccexp --help) not completed"; fails=$((fails + 1)); }
	done
fi
echo "$fails failures"
[[ $fails -eq 0 ]]
