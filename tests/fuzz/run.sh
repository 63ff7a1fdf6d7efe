#!/bin/sh
# Runs each libFuzzer target (tests/fuzz/fuzz_*.c) for a bounded time, from its committed seed
# corpus, in a nested clang build (<build>/fuzz: -Dfuzzing=true, ASan + UBSan). Fails on any
# crash, sanitizer report or broken invariant; prints each target's executions and coverage.
# Time per target: CCX_FUZZ_SECONDS, else 60 s with CI=true, else 10 s.

skip() {
	echo "SKIP: $*" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
}

src=${CCX_SOURCE_DIR:?set by meson}
top=${CCX_BUILD_DIR:?set by meson}
build=$top/fuzz
work=$top/fuzz-work
targets="config trace gso"
if [ -n "${CCX_FUZZ_SECONDS:-}" ]; then
	seconds=$CCX_FUZZ_SECONDS
elif [ "${CI:-}" = true ]; then
	seconds=60
else
	seconds=10
fi

command -v clang >/dev/null 2>&1 || skip "clang not installed"
command -v meson >/dev/null 2>&1 || skip "meson not in PATH"
mkdir -p "$work" || exit 1
# libFuzzer's runtime comes with clang's compiler-rt (Debian: libclang-rt-14-dev).
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	>"$work/probe.c"
clang -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>"$work/probe.log" ||
	skip "clang cannot link libFuzzer (install libclang-rt-14-dev): $(tail -1 "$work/probe.log")"
rm -f "$work/probe" "$work/probe.c" "$work/probe.log"

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false >"$work/setup.log" 2>&1 || {
		cat "$work/setup.log" >&2
		echo "FAIL: meson setup of the fuzzing build" >&2
		exit 1
	}
fi
exes=""
for t in $targets; do exes="$exes fuzz_$t"; done
# shellcheck disable=SC2086 # a list of target names
meson compile -C "$build" $exes >"$work/compile.log" 2>&1 || {
	cat "$work/compile.log" >&2
	echo "FAIL: building the fuzz targets" >&2
	exit 1
}

# A UBSan report is a crash to libFuzzer; leaks are reported too (libFuzzer's -detect_leaks).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
export ASAN_OPTIONS=abort_on_error=1:print_summary=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
# What a target writes for itself (fuzz_config's input file and trace) stays in here.
export TMPDIR=$work/tmp
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"

failed=0
for t in $targets; do
	exe=$build/tests/fuzz/fuzz_$t
	corpus=$work/corpus-$t
	log=$work/$t.log
	mkdir -p "$corpus" "$work/crashes"
	regressions=$src/tests/fuzz/regressions/$t
	[ -d "$regressions" ] || regressions=
	dict=
	[ -f "$src/tests/fuzz/$t.dict" ] && dict=-dict=$src/tests/fuzz/$t.dict
	# New inputs go to the first corpus folder (in the build tree); the committed seeds and
	# regressions are only read.
	# shellcheck disable=SC2086 # $dict, $regressions: nothing or one argument
	"$exe" -max_total_time="$seconds" -print_final_stats=1 -error_exitcode=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$work/crashes/$t-" $dict \
		"$corpus" "$src/tests/fuzz/corpus/$t" $regressions >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1)
	echo "fuzz_$t: ${execs:-?} executions in $seconds s, ${cov:-no coverage line}"
	if [ $rc -ne 0 ]; then
		grep -B2 -A30 -m1 -E 'ERROR|runtime error|invariant broken|deadly signal' "$log" >&2
		echo "FAIL: fuzz_$t (exit $rc); input saved in $work/crashes/, log $log" >&2
		echo "  replay: $exe <input>; keep it as tests/fuzz/regressions/$t/<name>" >&2
		failed=1
	fi
done
rm -rf "$TMPDIR"
exit $failed
