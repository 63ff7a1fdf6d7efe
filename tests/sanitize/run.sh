#!/bin/sh
# The unit suite once more, built with AddressSanitizer and UndefinedBehaviorSanitizer in a
# build of its own (<build>/sanitize): any report fails the test.

skip() {
	echo "SKIP: $*" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
}

src=${CCX_SOURCE_DIR:?set by meson}
build=${CCX_BUILD_DIR:?set by meson}/sanitize
command -v meson >/dev/null 2>&1 || skip "meson not in PATH"

# Every kind of report ends the program with an error and a stack; a leak is a report too.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
# libconfig's own leaks on some syntax errors are not ours (the list says which).
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp

# clang: its UBSan checks pointer arithmetic on NULL, which gcc's does not.
command -v clang >/dev/null 2>&1 || skip "clang not installed"
if [ ! -f "$build/build.ninja" ]; then
	# b_lundef=false: the sanitizers' runtimes resolve some symbols only at run time.
	CC=clang meson setup "$build" "$src" -Db_sanitize=address,undefined -Db_lundef=false \
		>"$build.setup.log" 2>&1 || {
		cat "$build.setup.log" >&2
		echo "FAIL: meson setup of the sanitizer build" >&2
		exit 1
	}
fi
# meson test builds what the suite needs first; its log names the tests that reported.
if ! meson test -C "$build" --suite unit --print-errorlogs; then
	echo "FAIL: the unit suite under ASan + UBSan (logs in $build/meson-logs)" >&2
	exit 1
fi
echo "the unit suite passes under ASan + UBSan"
