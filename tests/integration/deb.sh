#!/bin/bash
# The Debian package: dpkg-buildpackage builds it from a copy of the source tree, lintian finds
# no error in it, it installs with its dependencies, and the installed ccexp passes `check` and
# runs the quickstart from its own example; then it is purged, leaving the machine as found.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -n "${CCX_SOURCE_DIR:-}" ] || skip "run through meson test"
[ "$(id -u)" = 0 ] || skip "needs root: installs a package, then runs an experiment"
for c in dpkg-buildpackage dh lintian fakeroot apt-get readelf python3; do
	command -v "$c" >/dev/null || skip "$c is not installed (dpkg-dev, debhelper, lintian, fakeroot)"
done
# The package is installed and purged: one the machine already has must not be disturbed.
dpkg-query -W -f '${Status}' ccexp 2>/dev/null | grep -q installed &&
	skip "a ccexp package is installed already"

tmp=$(mktemp -d /tmp/ccx-test-deb-XXXXXX)
installed=
pulled=
cleanup() {
	[ -n "$installed" ] && dpkg -P ccexp >"$tmp/purge.log" 2>&1
	# What apt installed for ccexp's Depends goes too (no other package: helpers may install
	# packages beside this test).
	[ -n "$pulled" ] && dpkg -P $pulled >>"$tmp/purge.log" 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
# meson ends a test that overruns with SIGTERM, on which bash alone would skip the EXIT trap.
trap 'exit 1' TERM INT
packages_before=$(dpkg-query -W -f '${Package}\n' | sort)

# debian/changelog names the version meson builds.
want=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" \
	"$CCX_SOURCE_DIR/meson.build" | head -n 1)
have=$(cd "$CCX_SOURCE_DIR" && dpkg-parsechangelog -S Version)
check "debian/changelog's version $have is meson's project version $want" [ "$have" = "$want" ]

# dpkg-buildpackage writes into the parent folder: build in a copy, without build folders.
src=$tmp/ccexp-$want
mkdir -p "$src"
if git -C "$CCX_SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$CCX_SOURCE_DIR" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
else
	tar -C "$CCX_SOURCE_DIR" --exclude=./build* --exclude=./obj-* \
		--exclude="./$(basename "${CCX_BUILD_DIR:-build}")" -cf - . | tar -xf - -C "$src"
fi
t0=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
t1=$(date +%s)
echo "dpkg-buildpackage: exit $rc in $((t1 - t0)) s"
check "dpkg-buildpackage -us -uc -b exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -n 60 "$tmp/build.log"
deb=$(ls "$tmp"/ccexp_"$want"_*.deb 2>/dev/null | head -n 1)
check "a .deb was built" [ -n "$deb" ]
[ -n "$deb" ] || exit 1
check "the build ran the unit suite" grep -q 'ccexp:unit / layers .*OK' "$tmp/build.log"
check "the build ran no root-needing suite" \
	bash -c "! grep -Eq 'ccexp:(integration|fault|bench)' '$tmp/build.log'"

lintian --info "$deb" >"$tmp/lintian.log" 2>&1
sed 's/^/lintian: /' "$tmp/lintian.log"
echo "lintian: $(grep -c '^E:' "$tmp/lintian.log") errors, $(grep -c '^W:' "$tmp/lintian.log") warnings"
check "lintian finds no error" bash -c "! grep -q '^E:' '$tmp/lintian.log'"

# Every library the binary names (DT_NEEDED) belongs, in dpkg's own database, to a package
# that Depends declares; and the tools ccexp runs are declared too.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
dpkg-deb -x "$deb" "$tmp/x"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for lib in $(readelf -d "$tmp/x/usr/bin/ccexp" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	owner=$(dpkg -S "*/$multiarch/$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
	check "Depends declares $owner, which holds $lib" \
		bash -c "[ -n '$owner' ] && printf '%s\n' '$depends' | grep -Eq '(^|, )$owner( |,|$)'"
done
for p in 'gnuplot-nox | gnuplot' iproute2; do
	check "Depends declares $p" bash -c "printf '%s\n' '$depends' | grep -qF '$p'"
done

# Installed through apt, which resolves Depends (Recommends left to the machine).
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb" \
	>"$tmp/install.log" 2>&1
rc=$?
installed=1
# Only packages the machine had not before: an upgraded one stays.
pulled=$(sed -n 's/^Setting up \([^: ]*\).*/\1/p' "$tmp/install.log" | grep -vx ccexp |
	grep -vxF -f <(printf '%s\n' "$packages_before") | tr '\n' ' ')
echo "apt installed for ccexp: ${pulled:-nothing else}"
check "apt-get install of the .deb exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/install.log"
check "dpkg has ccexp installed" bash -c \
	"dpkg-query -W -f '\${Status}' ccexp | grep -q 'install ok installed'"
share=/usr/share/ccexp
for f in /usr/bin/ccexp $share/examples/quickstart.cfg /usr/share/man/man1/ccexp.1.gz \
	/usr/share/man/man5/ccexp.cfg.5.gz /usr/share/doc/ccexp/copyright \
	/usr/share/bash-completion/completions/ccexp; do
	check "the package installed $f" [ -s "$f" ]
done

mkdir "$tmp/work"
cd "$tmp/work" || exit 1
before=$(leftovers)
/usr/bin/ccexp check >check.out 2>&1
rc=$?
cat check.out
check "installed ccexp check exits 0" [ "$rc" = 0 ]
/usr/bin/ccexp run "$share/examples/quickstart.cfg" >run.out 2>&1
rc=$?
cat run.out
check "installed quickstart exits 0" [ "$rc" = 0 ]
out=$(ls -d "$tmp"/work/results/quickstart/*/ 2>/dev/null | head -n 1)
check "results under the working directory" [ -n "$out" ]
PYTHONPATH=$here python3 - "$out" <<'PY'
import os, sys
from ccx_results import check, rows, meta, done
out = sys.argv[1]
flows = rows(out, "flows.csv")
check("meta.json says complete", meta(out).get("status") == "complete", meta(out).get("status"))
check("flows a and b carried data", {r["flow"] for r in flows} >= {"a", "b"}
      and all(float(r["bytes"]) > 0 for r in flows), len(flows))
pngs = [p for p in os.listdir(os.path.join(out, "plots")) if p.endswith(".png")]
check("charts drawn by the installed gnuplot dependency", len(pngs) >= 3, len(pngs))
done()
PY
check "installed quickstart's results" [ $? = 0 ]
check "nothing of the run is left" [ -z "$(new_leftovers "$before")" ]
cd / || exit 1

dpkg -P ccexp $pulled >"$tmp/purge.log" 2>&1
rc=$?
check "dpkg -P ccexp (and what apt installed for it) exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/purge.log"
installed=
pulled=
check "purged: no ccexp package" bash -c "! dpkg-query -W -f '\${Status}' ccexp 2>/dev/null | grep -q installed"
check "purged: /usr/bin/ccexp and $share are gone" bash -c "[ ! -e /usr/bin/ccexp ] && [ ! -e $share ]"
gone=$(comm -23 <(printf '%s\n' "$packages_before") <(dpkg-query -W -f '${Package}\n' | sort))
check "no package that was there before is gone" [ -z "$gone" ]
echo "deb test: $(($(date +%s) - t0)) s from the build to the purge"
exit $fail
