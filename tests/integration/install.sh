#!/bin/bash
# `meson install --destdir`, then the installed ccexp, moved to another prefix, from an unrelated
# folder: its files are where a distribution puts them, it names no source or build path, and
# its examples find their traces. With --run (root): `ccexp check` and the quickstart from the
# installed example, with the source and build trees hidden behind empty mounts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -n "${CCX_BUILD_DIR:-}" ] && [ -n "${CCX_SOURCE_DIR:-}" ] || skip "run through meson test"
command -v meson >/dev/null || skip "meson is not on PATH"
if [ "${1:-}" = --run ]; then
	need_root
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
fi

tmp=$(mktemp -d /tmp/ccx-test-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$CCX_BUILD_DIR" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1
check "meson install --destdir succeeds" [ $? = 0 ] || cat "$tmp/install.log"
bin=$(find "$tmp/root" -path '*/bin/ccexp' -type f | head -n 1)
prefix=${bin%/bin/ccexp}
check "the binary is installed in bindir" [ -x "$bin" ]
for f in share/ccexp/examples/quickstart.cfg share/ccexp/examples/cellular.cfg \
	share/ccexp/examples/sweep.cfg share/ccexp/examples/lossy-long-rtt.cfg \
	share/ccexp/traces/Verizon-LTE-short.down share/ccexp/traces/README.md \
	share/man/man1/ccexp.1 share/man/man5/ccexp.cfg.5 share/doc/ccexp/config.md \
	share/doc/ccexp/csv-format.md share/doc/ccexp/README.md; do
	check "installed: $f" [ -s "$prefix/$f" ]
done
check "bash completion installed" \
	[ -n "$(find "$prefix" -path '*/bash-completion/completions/ccexp' -type f)" ]

# Moved to another prefix: nothing may depend on the configured one.
mkdir -p "$tmp/moved" "$tmp/work"
cp -a "$prefix" "$tmp/moved/usr"
ccexp=$tmp/moved/usr/bin/ccexp
share=$tmp/moved/usr/share/ccexp
cd "$tmp/work" || exit 1

# The shipped program, as a distribution strips it (its DWARF keeps the paths for debuggers).
stripper=$(command -v strip || command -v llvm-strip)
if [ -n "$stripper" ]; then
	cp "$ccexp" "$tmp/stripped" && "$stripper" --strip-debug "$tmp/stripped"
	src_real=$(cd "$CCX_SOURCE_DIR" && pwd -P)
	build_real=$(cd "$CCX_BUILD_DIR" && pwd -P)
	check "the stripped binary names no source path" bash -c \
		"! grep -aqF -e '$src_real' -e '$CCX_SOURCE_DIR' '$tmp/stripped'"
	check "the stripped binary names no build path" bash -c \
		"! grep -aqF -e '$build_real' -e '$CCX_BUILD_DIR' '$tmp/stripped'"
else
	skip "neither strip nor llvm-strip is installed"
fi

# --version: the project's version, a git revision, and the libbpf the loader resolved.
"$ccexp" --version >"$tmp/version" 2>&1
check "ccexp --version exits 0" [ $? = 0 ]
cat "$tmp/version"
want_version=$(meson introspect --projectinfo "$CCX_BUILD_DIR" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
check "--version names the project's version $want_version" \
	grep -q "^ccexp $want_version (git " "$tmp/version"
if command -v git >/dev/null && rev=$(git -C "$CCX_SOURCE_DIR" describe --always 2>/dev/null); then
	check "--version names the git revision $rev" grep -q "(git $rev\(-dirty\)\?)" "$tmp/version"
fi
so=$(ldd "$ccexp" | awk '/libbpf\.so/ {print $3}')
so_version=$(readlink -f "$so" | sed -n 's/.*libbpf\.so\.\([0-9]*\.[0-9]*\).*/\1/p')
if [ -n "$so_version" ]; then
	check "--version names the loaded libbpf $so_version" \
		grep -q "^libbpf $so_version (built against $(pkg-config --modversion libbpf))" \
		"$tmp/version"
fi

# Every installed example is valid where it is installed, traces included (checked, not run).
for cfg in "$share"/examples/*.cfg; do
	"$ccexp" sweep --dry-run -o "$tmp/work/dry-$(basename "$cfg")" "$cfg" >"$tmp/dry.log" 2>&1
	check "installed $(basename "$cfg") is valid from $PWD" [ $? = 0 ] || cat "$tmp/dry.log"
done
check "--dry-run created nothing" [ -z "$(ls -A "$tmp/work")" ]

if [ "${1:-}" = --run ]; then
	before=$(leftovers)
	# A mount namespace of its own in which the source and build trees are empty folders.
	cat >"$tmp/hidden.sh" <<'SH'
set -e
mount -t tmpfs -o size=1m ccx-hide "$CCX_BUILD_DIR"
[ -d "$CCX_SOURCE_DIR/toolkit" ] && mount -t tmpfs -o size=1m ccx-hide "$CCX_SOURCE_DIR"
[ ! -e "$CCX_SOURCE_DIR/meson.build" ] && [ ! -e "$CCX_BUILD_DIR/build.ninja" ]
set +e
"$CCEXP_INSTALLED" check >check.out 2>&1
echo "check $?" >status
"$CCEXP_INSTALLED" run "$SHARE/examples/quickstart.cfg" >run.out 2>&1
echo "run $?" >>status
SH
	CCEXP_INSTALLED=$ccexp SHARE=$share unshare --mount --propagation private sh "$tmp/hidden.sh"
	check "source and build trees hidden" [ -s status ]
	cat check.out run.out
	check "installed ccexp check exits 0" grep -qx "check 0" status
	check "installed quickstart exits 0" grep -qx "run 0" status
	out=$(ls -d "$tmp"/work/results/quickstart/*/ 2>/dev/null | head -n 1)
	check "results under the working directory" [ -n "$out" ]
	python3 - "$out" <<'PY'
import csv, json, os, sys
out = sys.argv[1]
meta = json.load(open(os.path.join(out, "meta.json")))
flows = list(csv.DictReader(open(os.path.join(out, "flows.csv"))))
ok = meta.get("status") == "complete" and {r["flow"] for r in flows} >= {"a", "b"}
ok = ok and all(float(r["bytes"]) > 0 for r in flows)
pngs = [p for p in os.listdir(os.path.join(out, "plots")) if p.endswith(".png")]
print(f"status {meta.get('status')}, {len(flows)} connections, {len(pngs)} charts")
sys.exit(0 if ok and len(pngs) >= 3 else 1)
PY
	check "quickstart results complete: both flows carried data, charts drawn" [ $? = 0 ]
	check "nothing of the run is left" [ -z "$(new_leftovers "$before")" ]
fi
exit $fail
