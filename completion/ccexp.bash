# bash completion for ccexp: subcommands, each one's options, and config files (*.cfg) or
# folders where a command takes them. Needs bash only, not the bash-completion package.

_ccexp_files()
{
	# $1: a glob pattern the files must match, or empty for folders only.
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -d -- "$cur"))
	[[ -n $1 ]] && COMPREPLY+=($(compgen -f -X "!$1" -- "$cur"))
}

_ccexp()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="run sweep plot compare watch check list cleanup"
	local i cmd= opts=
	COMPREPLY=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-v --verbose -q --quiet -h --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi

	# The argument of the option before the cursor.
	case $prev in
	-o | --output) _ccexp_files ""; return 0 ;;
	--cgroup) _ccexp_files ""; return 0 ;;
	--order) COMPREPLY=($(compgen -W "given shuffled" -- "$cur")); return 0 ;;
	--emit) COMPREPLY=($(compgen -W "slurm parallel" -- "$cur")); return 0 ;;
	--format) COMPREPLY=($(compgen -W "png svg pdf" -- "$cur")); return 0 ;;
	-j | --jobs | --point | --by | --duration | --interval) return 0 ;;
	esac

	case $cmd in
	run) opts="-o --output -h --help" ;;
	sweep) opts="-o --output -j --jobs --order --retry-failed --force --dry-run --list --point
		     --emit -h --help" ;;
	plot) opts="-h --help" ;;
	compare) opts="-o --output --by --format --include-failed -h --help" ;;
	watch) opts="--cgroup -o --duration --interval --metrics -v -h --help" ;;
	check | list) opts="--json -h --help" ;;
	cleanup) opts="-n --dry-run -h --help" ;;
	*) return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	case $cmd in
	run | sweep) _ccexp_files "*.cfg" ;;
	plot | compare) _ccexp_files "" ;;
	esac
	return 0
}

complete -F _ccexp ccexp
