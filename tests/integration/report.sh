#!/bin/bash
# Integration test: report.html of a real run, of an interrupted run and of `ccexp compare`,
# loaded by headless Chromium (tests/tools/page_check.py): every image loaded, no console
# error, a screenshot that is not blank; its links point at files that exist, every CSV file
# is linked, nothing is fetched from the network, and the page says the run's status.
# The screenshots are kept in the build's meson-logs/ to be looked at.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (drives the browser)"
command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"

tmp=$(mktemp -d /tmp/ccx-test-report-XXXXXX)
shots=${CCX_BUILD_DIR:-$tmp}/meson-logs
mkdir -p "$tmp/profile" "$shots"
export CCX_PAGE_PROFILE=$tmp/profile
page_check="$here/../tools/page_check.py"

for seed in 1 2; do
	cat >"$tmp/r$seed.cfg" <<CFG
# a comment with </script><script>alert("x")</script> & "quotes" 'too'
experiment = { name = "report"; duration_s = 2.5; seed = $seed; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 5.0; queue_pkts = 50; };
flows = (
  { name = "a"; cc = "cubic"; },
  { name = "b"; cc = "reno"; start_s = 0.5; }
);
CFG
	run_ok "$tmp/r$seed" "$tmp/r$seed.cfg" "run $seed"
done

# PAGE KIND MIN_IMAGES [STATUS]: loads PAGE, keeps the screenshot as report-KIND.png, checks.
browse() {
	python3 "$page_check" "$1" "$shots/report-$2.png" >"$tmp/$2.json" 2>"$tmp/$2.err"
	check "$2: chromium loaded the page" [ $? = 0 ]
	[ -s "$tmp/$2.err" ] && cat "$tmp/$2.err"
	python3 - "$tmp/$2.json" "$3" "${4:-}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = [i['src'] for i in r['images'] if not i['loaded']]
ok = True
def check(cond, what):
    global ok
    print(('ok: ' if cond else 'FAIL: ') + what)
    ok &= cond
check(len(r['images']) >= int(sys.argv[2]), '%d images (at least %s)' % (len(r['images']), sys.argv[2]))
check(not bad, 'every image loaded %s' % bad)
check(not r['errors'], 'no console errors %s' % r['errors'])
check(r['screenshot']['colours'] > 50, 'screenshot not blank (%d colours)' % r['screenshot']['colours'])
if sys.argv[3]:
    check(r['status'] == sys.argv[3], 'status shown: %r' % r['status'])
sys.exit(0 if ok else 1)
PY
	check "$2: the page as a browser sees it" [ $? = 0 ]
}

# DIR: the page's links and images point inside DIR at files that exist, every CSV file of DIR
# (runs/ aside) is linked, nothing is loaded from elsewhere, the config's text is escaped.
links() {
	python3 - "$1" <<'PY'
import html.parser, os, sys, urllib.parse
d = sys.argv[1]
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ('href', 'src'):
                self.refs.append(v)
p = P()
text = open(os.path.join(d, 'report.html')).read()
p.feed(text)
bad = []
for ref in p.refs:
    u = urllib.parse.urlsplit(ref)
    if ref.startswith('#'):
        continue
    if u.scheme or u.netloc or ref.startswith('/') or '..' in ref.split('/'):
        bad.append('not a relative path inside the folder: ' + ref)
    elif not os.path.isfile(os.path.join(d, urllib.parse.unquote(u.path))):
        bad.append('no such file: ' + ref)
linked = {urllib.parse.unquote(r) for r in p.refs}
for root, dirs, files in os.walk(d):
    dirs[:] = [x for x in dirs if x != 'runs']
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), d)
        if f.endswith('.csv') and rel not in linked:
            bad.append('CSV not linked: ' + rel)
if 'script' in p.tags or 'link' in p.tags:
    bad.append('the page has a script or link element')
if '</script>' in text:
    bad.append('the config comment came through unescaped')
for b in bad:
    print('FAIL:', b)
print('ok: %d links and images checked' % len(p.refs))
sys.exit(1 if bad else 0)
PY
	check "$1: links and images point at the folder's files" [ $? = 0 ]
}

# A run: four charts, its status complete, written by `ccexp run`, again by `ccexp plot`.
check "run: report.html written" [ -s "$tmp/r1/report.html" ]
browse "$tmp/r1/report.html" run 4 complete
links "$tmp/r1"
check "run: the escaped config comment is on the page" \
	grep -qF '&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)' "$tmp/r1/report.html"
check "run: the verdicts are on the page" \
	grep -qF "$(python3 -c 'import csv,sys; print(list(csv.DictReader(open(sys.argv[1])))[0]["verdict"])' "$tmp/r1/flows.csv")" "$tmp/r1/report.html"
rm "$tmp/r1/report.html"
"$CCEXP" -q plot "$tmp/r1" >/dev/null 2>&1
check "plot: report.html written again" [ -s "$tmp/r1/report.html" ]

# A comparison of the two runs, its charts as SVG (and PNG).
"$CCEXP" -q compare --format svg,png -o "$tmp/cmp" "$tmp/r1" "$tmp/r2" >"$tmp/cmp.log" 2>&1
check "compare exits 0" [ $? = 0 ] || cat "$tmp/cmp.log"
check "compare: report.html written" [ -s "$tmp/cmp/report.html" ]
check "compare: its charts shown as SVG" grep -q 'src="charts/[^"]*\.svg"' "$tmp/cmp/report.html"
browse "$tmp/cmp/report.html" compare 3
links "$tmp/cmp"

# An interrupted run says so at the top of its page.
cat >"$tmp/int.cfg" <<'CFG'
experiment = { name = "report-int"; duration_s = 6.0; };
link = { backend = "tun"; rate_mbit = 20.0; queue_pkts = 50; };
flows = ( { name = "a"; cc = "cubic"; } );
CFG
"$CCEXP" -q run -o "$tmp/int" "$tmp/int.cfg" >"$tmp/int.log" 2>&1 &
pid=$!
wait_running "$tmp/int" >/dev/null
sleep 0.5
kill -INT "$pid"
wait "$pid"
check "interrupted run exits 1" [ $? = 1 ]
check "interrupted: report.html written" [ -s "$tmp/int/report.html" ]
check "interrupted: a red banner" grep -q 'class="banner bad"' "$tmp/int/report.html"
browse "$tmp/int/report.html" interrupted 0 interrupted

echo "screenshots: $shots/report-run.png $shots/report-compare.png $shots/report-interrupted.png"
rm -rf "$tmp"
[ "$fail" = 0 ]
