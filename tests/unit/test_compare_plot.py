#!/usr/bin/env python3
# compare's charts from the committed fixture: all five kinds drawn whole, each script
# re-runs from the charts folder, the plot clauses hold the expected series, and a gnuplot
# that fails or draws nothing is reported as a failed chart.
import os, re, shutil, subprocess, sys, tempfile

TOOL = os.environ.get('CCX_COMPARE_PLOT')
SRC = os.environ.get('CCX_SOURCE_DIR', os.path.join(os.path.dirname(__file__), '..', '..'))
FIX = os.path.join(SRC, 'tests', 'fixtures', 'compare-small')
CHARTS = ['goodput_vs_setting', 'srtt_p95_vs_setting', 'goodput_delay', 'srtt_cdf',
          'timeseries', 'goodput_box']
failures = 0


def check(cond, what):
    global failures
    if not cond:
        print('FAIL:', what, file=sys.stderr)
        failures += 1


def skip(why):
    if os.environ.get('CI') == 'true':
        print('FAIL (CI=true, skips are failures):', why, file=sys.stderr)
        sys.exit(1)
    print('SKIP:', why, file=sys.stderr)
    sys.exit(77)


def whole(path):
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.png'):
        return data.endswith(b'\0\0\0\0IEND\xaeB`\x82')
    if path.endswith('.svg'):
        return data.rstrip().endswith(b'</svg>')
    return data.rstrip().endswith(b'%%EOF')


def fresh(tmp, name):
    d = os.path.join(tmp, name)
    shutil.copytree(FIX, d)
    return d


def run(d, fmts, env=None):
    return subprocess.run([TOOL, d] + fmts, capture_output=True, text=True, env=env)


def clauses(gp, pattern):
    return [l for l in open(gp).read().splitlines() if re.search(pattern, l)]


def main():
    if not TOOL or not os.access(TOOL, os.X_OK):
        skip('CCX_COMPARE_PLOT is not set to the compare_plot tool')
    gnuplot = shutil.which('gnuplot')
    if not gnuplot:
        skip('no gnuplot')
    tmp = tempfile.mkdtemp(prefix='ccx-cmpplot-test-')
    try:
        terms = subprocess.run([gnuplot, '-e', 'set terminal'], capture_output=True,
                               text=True).stdout + subprocess.run(
            [gnuplot, '-e', 'set terminal'], capture_output=True, text=True).stderr
        fmts = ['png', 'svg'] + (['pdf'] if 'pdfcairo' in terms else [])
        d = fresh(tmp, 'ok')
        p = run(d, fmts)
        check(p.returncode == 0, 'exit 0 with every chart drawn: %d %s' % (p.returncode,
                                                                           p.stderr))
        for c in CHARTS:
            check(('%s drawn' % c) in p.stdout.splitlines(), c + ' reported drawn')
            for f in fmts:
                path = os.path.join(d, 'charts', c + '.' + f)
                check(os.path.exists(path) and whole(path), path + ' is whole')
        cd = os.path.join(d, 'charts')
        # Each script draws again from its folder alone.
        for c in CHARTS:
            os.unlink(os.path.join(cd, c + '.png'))
            r = subprocess.run([gnuplot, c + '.gp'], cwd=cd, capture_output=True)
            check(r.returncode == 0, c + '.gp re-runs with exit 0')
            check(whole(os.path.join(cd, c + '.png')), c + '.png redrawn whole')
        # The series: 2 algorithms x 2 flows on the swept queue, with error bars.
        for c in ('goodput_vs_setting', 'srtt_p95_vs_setting'):
            s = clauses(os.path.join(cd, c + '.gp'), r'with yerrorlines')
            check(len(s) == 4, '%s: 4 lines, got %d' % (c, len(s)))
            for cc in ('cubic', 'reno'):
                for fl in ('bulk', 'late'):
                    t = "flows.bulk.cc=%s, flow %s (n=2 per point)" % (cc, fl)
                    check(any(t in l for l in s), '%s: a line titled %s' % (c, t))
            check(all('using ($1+' in l and '):2:3:4' in l for l in s),
                  c + ': error bars from columns 3 and 4')
        gd = os.path.join(cd, 'goodput_delay.gp')
        check(len(clauses(gd, r'with points lt \d+ pt 7 .*\(n=2\)')) == 8,
              'goodput_delay: a point series per group and flow')
        check(len(clauses(gd, r'with lines lt')) == 8, 'goodput_delay: 8 ellipses')
        check(len(clauses(gd, r'^set xrange \[[0-9.]+:[0-9.]+\]')) == 1, 'delay axis set')
        xr = clauses(gd, r'^set xrange \[[0-9.]+:[0-9.]+\]')[0]
        hi, lo = map(float, re.findall(r'[0-9.]+', xr))
        check(hi > lo, 'goodput_delay: the delay axis runs from high to low')
        check(len(clauses(os.path.join(cd, 'srtt_cdf.gp'), r'with steps.*n=2 runs')) == 4,
              'srtt_cdf: a CDF per group')
        check(len(clauses(os.path.join(cd, 'timeseries.gp'), r'with filledcurves')) == 12,
              'timeseries: 3 panels x 4 groups with bands')
        check(len(clauses(os.path.join(cd, 'goodput_box.gp'),
                          r'with candlesticks whiskerbars')) == 8, 'goodput_box: 8 boxes')
        check('n=2' in open(os.path.join(cd, 'goodput_box.gp')).read(), 'box: n shown')

        # A gnuplot that fails on the charts, one that exits 0 without drawing, none.
        fake = os.path.join(tmp, 'bin')
        os.mkdir(fake)
        for mode, code, want in (('fail', 1, 'exited with status 1'),
                                 ('nothing', 0, 'gnuplot made no')):
            with open(os.path.join(fake, 'gnuplot'), 'w') as f:
                f.write('#!/bin/sh\ncase "$1" in .terminal-check.gp) exec %s "$@";; esac\n'
                        'echo broken >&2\nexit %d\n' % (gnuplot, code))
            os.chmod(os.path.join(fake, 'gnuplot'), 0o755)
            d = fresh(tmp, mode)
            env = dict(os.environ, PATH=fake + ':/usr/bin:/bin')
            p = run(d, ['png'], env)
            check(p.returncode == 3, '%s: exit 3, got %d' % (mode, p.returncode))
            lines = p.stdout.splitlines()
            check(len(lines) == 6 and all(' failed: ' in l and want in l for l in lines),
                  '%s: every chart reported failed (%s)' % (mode, p.stdout))
            check(not any(n.endswith('.png') for n in os.listdir(os.path.join(d, 'charts'))),
                  mode + ': no PNG left')
        d = fresh(tmp, 'nognuplot')
        p = run(d, ['png'], dict(os.environ, PATH=os.path.join(tmp, 'empty')))
        check(p.returncode == 3 and 'gnuplot is not on PATH' in p.stdout,
              'no gnuplot: reported (%d %s)' % (p.returncode, p.stdout))
        d = fresh(tmp, 'badfmt')
        p = run(d, ['gif'])
        check(p.returncode == 2 and 'not one of png, svg, pdf' in p.stderr, 'unknown format')
    finally:
        shutil.rmtree(tmp)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
