/* report.html of a run or compare folder: a static page built from the folder's saved files. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/report.h"
#include "analysis/html.h"
#include "core/json_flat.h"
#include "core/log.h"
#include "core/path.h"

#define REPORT_FILE_MAX (16 << 20) /* meta.json or config.cfg larger than this is not ours */

static void summary_cell(FILE *f, const struct table *t, int row)
{
	html_td_value(f, table_cell(t, row, table_col(t, "value")));
}

/* groups.csv's cell: the mean, and the 95% interval and n beneath. */
static void group_cell(FILE *f, const struct table *t, int row)
{
	const char *mean = table_cell(t, row, table_col(t, "mean"));
	const char *lo = table_cell(t, row, table_col(t, "ci95_low"));
	const char *hi = table_cell(t, row, table_col(t, "ci95_high"));
	const char *n = table_cell(t, row, table_col(t, "n"));

	if (!*mean) { /* no run of the group has a value */
		fputs("<td class=\"num\"><small>n=0</small></td>", f);
		return;
	}
	fprintf(f, "<td class=\"num\" title=\"mean ");
	html_text(f, mean);
	fprintf(f, "\">%.4g", strtod(mean, NULL));
	if (*lo && *hi)
		fprintf(f, "<br><small>[%.4g, %.4g]</small>", strtod(lo, NULL), strtod(hi, NULL));
	fputs("<br><small>n=", f);
	html_text(f, n);
	fputs("</small></td>", f);
}

/* ---- the folder's files ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

/* The files of dir and its direct subfolders (not `skip`), relative to dir and sorted, whose
 * names end with one of `exts`. Hidden files (a replacement's temporary file) are left out. */
static int list_files(const char *dir, const char *skip, const char *const *exts, struct names *out)
{
	char sub[PATH_MAX], rel[PATH_MAX];
	struct dirent *de, *se;
	DIR *d = opendir(dir), *s;
	int r = 0;

	if (!d)
		return -errno;
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (int e = 0; exts[e] && r >= 0; e++)
			if (ends_with(de->d_name, exts[e]))
				r = names_add(out, de->d_name);
		if ((skip && !strcmp(de->d_name, skip)) ||
		    path_fmt(sub, sizeof(sub), "%s/%s", dir, de->d_name) < 0 || !(s = opendir(sub)))
			continue;
		while (r >= 0 && (se = readdir(s))) {
			if (se->d_name[0] == '.')
				continue;
			for (int e = 0; exts[e] && r >= 0; e++)
				if (ends_with(se->d_name, exts[e]) &&
				    path_fmt(rel, sizeof(rel), "%s/%s", de->d_name, se->d_name) ==
					0)
					r = names_add(out, rel);
		}
		closedir(s);
	}
	closedir(d);
	if (out->n)
		qsort(out->s, out->n, sizeof(*out->s), cmp_str);
	return r < 0 ? r : 0;
}

static bool exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	return path_fmt(p, sizeof(p), "%s/%s", dir, rel) == 0 && stat(p, &st) == 0 &&
	       S_ISREG(st.st_mode) && st.st_size > 0;
}

static void link_list(FILE *f, const struct names *l)
{
	fputs("<ul class=\"files\">\n", f);
	for (int i = 0; i < l->n; i++) {
		fputs("<li><a href=\"", f);
		html_url(f, l->s[i]);
		fputs("\">", f);
		html_text(f, l->s[i]);
		fputs("</a></li>\n", f);
	}
	fputs("</ul>\n", f);
}

static int files_section(FILE *f, const char *dir, const char *skip)
{
	static const char *const data[] = {".csv", NULL};
	static const char *const other[] = {".cfg", ".json", ".gp", ".pcap", ".pcapng", NULL};
	struct names csv = {0}, rest = {0};
	int r = list_files(dir, skip, data, &csv);

	if (r == 0)
		r = list_files(dir, skip, other, &rest);
	fputs("<h2 id=\"files\">Files</h2>\n<p>Data (CSV, docs/csv-format.md):</p>\n", f);
	link_list(f, &csv);
	fputs("<p>Config, metadata and gnuplot scripts:</p>\n", f);
	link_list(f, &rest);
	names_free(&csv);
	names_free(&rest);
	return r;
}

/*
 * One figure per chart script in `sub` (plots or charts): its SVG when there is one, else its
 * PNG; a script with neither is listed as missing, with the reason when `why` (meta.json's
 * charts.failed) gives one. Returns how many are missing, or -errno.
 */
static int charts_section(FILE *f, const char *dir, const char *sub, const struct json_flat *why)
{
	static const char *const gp[] = {".gp", NULL};
	static const char *const order[] = {"throughput", "cwnd", "srtt", "limits"};
	struct names scripts = {0}, sorted = {0}, missing = {0};
	char path[PATH_MAX], rel[PATH_MAX];
	int r, nmiss;

	if (path_fmt(path, sizeof(path), "%s/%s", dir, sub) < 0)
		return -ENAMETOOLONG;
	fputs("<h2 id=\"charts\">Charts</h2>\n", f);
	r = list_files(path, NULL, gp, &scripts);
	if (r == -ENOENT)
		r = 0;
	/* A run's charts in the order its terminal summary names them, then the others. */
	for (size_t i = 0; r >= 0 && i < sizeof(order) / sizeof(*order); i++) {
		snprintf(rel, sizeof(rel), "%s.gp", order[i]);
		if (names_find(&scripts, rel) >= 0)
			r = names_add(&sorted, rel);
	}
	for (int i = 0; r >= 0 && i < scripts.n; i++)
		if (!strchr(scripts.s[i], '/'))
			r = names_add(&sorted, scripts.s[i]);
	for (int i = 0; r >= 0 && i < sorted.n; i++) {
		char name[256];
		const char *ext = NULL;

		snprintf(name, sizeof(name), "%.*s", (int)strlen(sorted.s[i]) - 3, sorted.s[i]);
		if (path_fmt(rel, sizeof(rel), "%s/%s.svg", sub, name) == 0 && exists(dir, rel))
			ext = "svg";
		else if (path_fmt(rel, sizeof(rel), "%s/%s.png", sub, name) == 0 &&
			 exists(dir, rel))
			ext = "png";
		if (!ext) {
			r = names_add(&missing, name);
			continue;
		}
		fputs("<figure><img src=\"", f);
		html_url(f, rel);
		fputs("\" alt=\"chart ", f);
		html_text(f, name);
		fputs("\"><figcaption><a href=\"", f);
		html_url(f, rel);
		fputs("\">", f);
		html_text(f, rel);
		fputs("</a></figcaption></figure>\n", f);
	}
	if (r >= 0 && !sorted.n)
		fputs(
		    "<p class=\"warn\">No chart scripts in this folder: no chart was drawn.</p>\n",
		    f);
	if (r >= 0 && missing.n) {
		fputs("<div class=\"banner warn\"><b>Charts missing:</b><ul>\n", f);
		for (int i = 0; i < missing.n; i++) {
			const char *reason = NULL;
			char key[64];

			for (int k = 0; why && !reason; k++) {
				const char *c;

				snprintf(key, sizeof(key), "charts.failed[%d].chart", k);
				c = json_flat_get(why, key);
				if (!c)
					break;
				snprintf(key, sizeof(key), "charts.failed[%d].reason", k);
				if (!strcmp(c, missing.s[i]))
					reason = json_flat_get(why, key);
			}
			fputs("<li>", f);
			html_text(f, missing.s[i]);
			fputs(": ", f);
			html_text(f, reason ? reason : "its script is there but no SVG or PNG");
			fputs("</li>\n", f);
		}
		fputs("</ul></div>\n", f);
	}
	nmiss = missing.n;
	names_free(&scripts);
	names_free(&sorted);
	names_free(&missing);
	return r < 0 ? r : nmiss;
}

/* ---- the page ---- */

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;"
    "color:#222;background:#fff;line-height:1.4}\n"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #ccc;"
    "margin-top:1.6em}h3{font-size:1em}\n"
    "table{border-collapse:collapse;font-size:.85em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#eef2f7;position:sticky;top:0}tr:nth-child(even) td{background:#fafafa}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.badrow td{background:#fde8e8}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    ".badge{display:inline-block;padding:.1em .6em;border-radius:.3em;font-weight:bold;"
    "color:#fff;background:#2e7d32}.badge.warn{background:#b26a00}.badge.bad{background:#c62828}\n"
    ".banner{border:2px solid;border-radius:.3em;padding:.6em 1em;margin:1em 0}"
    ".banner.warn{border-color:#b26a00;background:#fff4e0}"
    ".banner.bad{border-color:#c62828;background:#fde8e8;font-size:1.1em}\n"
    "p.warn{color:#b26a00}\n"
    "figure{display:inline-block;margin:.5em;vertical-align:top;width:calc(50% - 1.2em);"
    "min-width:20em}figure img{width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.85em;color:#555}\n"
    "pre{background:#f6f8fa;border:1px solid #ddd;padding:.8em;overflow-x:auto;font-size:.85em}\n"
    "ul.files{columns:3 16em;font-size:.9em}\n"
    "nav a{margin-right:1em}\n";

static void page_head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	html_text(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
}

static void kv_row(FILE *f, const char *label, const char *value)
{
	if (!value)
		return;
	fputs("<tr>", f);
	html_th(f, label);
	fputs("<td>", f);
	html_text(f, value);
	fputs("</td></tr>\n", f);
}

/* The members of meta.json shown in the environment table, with their labels. */
static const char *const env_rows[][2] = {
    {"host", "host"},
    {"kernel", "kernel.release"},
    {"machine", "kernel.machine"},
    {"HZ", "kernel.hz"},
    {"ccexp version", "versions.ccexp"},
    {"libbpf version", "versions.libbpf"},
    {"config", "config"},
    {"seed", "seed"},
    {"start", "start"},
    {"end", "end"},
    {"duration_s", "duration_s"},
    {"link backend", "link.backend"},
    {"link backend asked", "link.backend_asked"},
    {"why this backend", "link.backend_why"},
    {"emulator", "link.emulator"},
    {"queue", "link.queue"},
    {"queue_pkts", "link.queue_pkts"},
    {"queue_bytes", "link.queue_bytes"},
    {"up rate_mbit", "link.up.rate_mbit"},
    {"up delay_ms", "link.up.delay_ms"},
    {"up jitter_ms", "link.up.jitter_ms"},
    {"up loss", "link.up.loss"},
    {"down rate_mbit", "link.down.rate_mbit"},
    {"down delay_ms", "link.down.delay_ms"},
    {"down loss", "link.down.loss"},
    {"link timeline complete", "link.timeline_complete"},
    {"connections", "connections"},
    {"collect level", "collect.level"},
    {"sample_interval_ms", "collect.sample_interval_ms"},
    {"events dropped", "events_dropped"},
    {"events missing rows", "events_missing_rows"},
    {"overhead: setup (s)", "overhead_s.setup"},
    {"overhead: flows over duration (s)", "overhead_s.flows_over_duration"},
    {"overhead: teardown (s)", "overhead_s.teardown"},
    {"overhead: charts (s)", "overhead_s.charts"},
    {"overhead: total over duration (s)", "overhead_s.total_over_duration"},
    {"ccexp CPU during flows: user (s)", "ccexp_cpu_during_flows_s.user"},
    {"ccexp CPU during flows: system (s)", "ccexp_cpu_during_flows_s.system"},
};

/* The status up front, as meta.json says it: a run that did not complete says so first. */
static void status_banner(FILE *f, const struct json_flat *m, const char *status)
{
	bool ok = !strcmp(status, "complete"), warn = !strcmp(status, "charts_failed");
	const char *error = json_flat_get(m, "error"), *sig = json_flat_get(m, "signal");
	char key[64];

	fprintf(f, "<p>status <span class=\"badge%s\" id=\"status\">",
		ok     ? ""
		: warn ? " warn"
		       : " bad");
	html_text(f, status);
	fputs("</span></p>\n", f);
	if (ok)
		return;
	fprintf(f, "<div class=\"banner %s\"><b>", warn ? "warn" : "bad");
	if (warn)
		fputs("The data are complete, but some charts were not drawn "
		      "(<code>ccexp plot</code> retries).",
		      f);
	else if (!strcmp(status, "running"))
		fputs("This run is still running, or ccexp died without a word "
		      "(<code>ccexp cleanup</code> marks it killed): its files may be partial.",
		      f);
	else {
		fputs("This run did not complete: ", f);
		html_text(f, status);
		fputs(". Its results are partial.", f);
	}
	fputs("</b>\n", f);
	if (error) {
		fputs("<br>error: ", f);
		html_text(f, error);
	}
	if (sig) {
		fputs("<br>signal: ", f);
		html_text(f, sig);
	}
	for (int k = 0;; k++) {
		const char *c;

		snprintf(key, sizeof(key), "cut_files[%d]", k);
		if (!(c = json_flat_get(m, key)))
			break;
		fputs(k ? ", " : "<br>files cut short: ", f);
		html_text(f, c);
	}
	fputs("</div>\n", f);
}

static int config_section(FILE *f, const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	ssize_t n;

	fputs("<h2 id=\"config\">Config (<a href=\"config.cfg\">config.cfg</a>)</h2>\n", f);
	if (path_fmt(path, sizeof(path), "%s/config.cfg", dir) < 0)
		return -ENAMETOOLONG;
	n = path_read_whole(path, REPORT_FILE_MAX, &text);
	if (n < 0) {
		fputs("<p class=\"warn\">config.cfg could not be read.</p>\n", f);
		return n == -ENOENT ? 0 : (int)n;
	}
	fputs("<pre>", f);
	html_text(f, text);
	fputs("</pre>\n", f);
	free(text);
	return 0;
}

static int run_page(FILE *f, const char *dir)
{
	static const char *const verdict_cols[] = {"flow",	   "conn",    "cc",   "status",
						   "goodput_mbit", "retrans", "rtos", "limit",
						   "verdict",	   NULL};
	static const char *const flow_keys[] = {"flow", NULL},
				 *const conn_keys[] = {"flow", "conn", NULL},
				 *const none[] = {NULL};
	char path[PATH_MAX], title[512], *text = NULL;
	const char *status, *name, *id;
	struct json_flat m = {0};
	struct table t;
	ssize_t n;
	int r;

	if (path_fmt(path, sizeof(path), "%s/meta.json", dir) < 0)
		return -ENAMETOOLONG;
	n = path_read_whole(path, REPORT_FILE_MAX, &text);
	if (n < 0)
		return log_err_errno(n, "report: read %s", path);
	r = json_flat_parse(text, &m);
	free(text);
	if (r < 0) {
		/* A page still, that says so: the folder's other files may be whole. */
		log_err("report: %s is not valid JSON: the page leaves out the environment", path);
		json_flat_free(&m);
	}
	status = json_flat_get(&m, "status") ?: "unknown (meta.json unreadable)";
	name = json_flat_get(&m, "name") ?: "";
	id = json_flat_get(&m, "run_id") ?: "";
	snprintf(title, sizeof(title), "ccexp run %s %s: %s", name, id, status);
	page_head(f, title);
	fputs("<h1>ccexp run ", f);
	html_text(f, name);
	fputs(" <small>", f);
	html_text(f, id);
	fputs("</small></h1>\n", f);
	status_banner(f, &m, status);
	fputs("<nav><a href=\"#verdicts\">Verdicts</a><a href=\"#summary\">Summary</a>"
	      "<a href=\"#charts\">Charts</a><a href=\"#environment\">Environment</a>"
	      "<a href=\"#files\">Files</a><a href=\"#config\">Config</a></nav>\n",
	      f);

	fputs("<h2 id=\"verdicts\">Verdicts (flows.csv, docs/diagnosis.md)</h2>\n", f);
	if (path_fmt(path, sizeof(path), "%s/flows.csv", dir) == 0 && table_load(path, &t) == 0) {
		html_table(f, &t, verdict_cols, "status", "ok");
		table_free(&t);
	} else {
		fputs("<p class=\"warn\">No flows.csv: no verdicts.</p>\n", f);
	}

	fputs("<h2 id=\"summary\">Summary (summary.csv, docs/metrics.md)</h2>\n", f);
	if (path_fmt(path, sizeof(path), "%s/summary.csv", dir) == 0 && table_load(path, &t) == 0) {
		fputs("<h3>Run</h3>\n", f);
		r = html_pivot(f, &t, "run", none, true, summary_cell);
		fputs("<h3>Per flow</h3>\n", f);
		r = r ?: html_pivot(f, &t, "flow", flow_keys, true, summary_cell);
		fputs("<h3>Per connection</h3>\n", f);
		r = r ?: html_pivot(f, &t, "connection", conn_keys, false, summary_cell);
		fputs("<h3>Link</h3>\n", f);
		r = r ?: html_pivot(f, &t, "link", flow_keys, true, summary_cell);
		table_free(&t);
		if (r < 0)
			goto out;
	} else {
		fputs("<p class=\"warn\">No summary.csv: no summary (<code>ccexp plot</code> "
		      "writes it from the saved files).</p>\n",
		      f);
	}

	r = charts_section(f, dir, "plots", &m);
	if (r < 0)
		goto out;

	fputs("<h2 id=\"environment\">Environment (meta.json)</h2>\n<table>\n", f);
	for (size_t i = 0; i < sizeof(env_rows) / sizeof(*env_rows); i++)
		kv_row(f, env_rows[i][0], json_flat_get(&m, env_rows[i][1]));
	fputs("</table>\n<details><summary>every member of meta.json but netstat</summary>\n"
	      "<div class=\"scroll\"><table>\n",
	      f);
	for (int i = 0; i < m.n; i++)
		if (strncmp(m.kv[i].path, "netstat.", 8))
			kv_row(f, m.kv[i].path, m.kv[i].val);
	fputs("</table></div></details>\n", f);

	r = files_section(f, dir, NULL);
	if (r == 0)
		r = config_section(f, dir);
out:
	json_flat_free(&m);
	return r;
}

static int compare_page(FILE *f, const char *dir)
{
	static const char *const skip[] = {"group",	"scope",  "flow", "metric",
					   "n",		"mean",	  "sd",	  "ci95_low",
					   "ci95_high", "median", "min",  "max"};
	const char *keys[16] = {"group"};
	char path[PATH_MAX];
	struct table t;
	int r = 0, nk = 1, excluded = 0;

	page_head(f, "ccexp compare");
	fputs("<h1>ccexp compare</h1>\n<nav><a href=\"#runs\">Runs</a><a href=\"#groups\">Groups"
	      "</a><a href=\"#charts\">Charts</a><a href=\"#files\">Files</a></nav>\n",
	      f);
	fputs("<h2 id=\"runs\">Runs (runs.csv)</h2>\n", f);
	if (path_fmt(path, sizeof(path), "%s/runs.csv", dir) == 0 && table_load(path, &t) == 0) {
		int inc = table_col(&t, "included");

		for (int i = 0; i < t.nrows; i++)
			excluded += strcmp(table_cell(&t, i, inc), "1") != 0;
		if (excluded)
			fprintf(f,
				"<div class=\"banner warn\"><b>%d of %d runs were left out</b> "
				"(status not complete or charts_failed; highlighted).</div>\n",
				excluded, t.nrows);
		html_table(f, &t, NULL, "included", "1");
		table_free(&t);
	} else {
		fputs("<p class=\"warn\">No runs.csv.</p>\n", f);
	}

	fputs("<h2 id=\"groups\">Groups (groups.csv): mean, 95% interval, n</h2>\n", f);
	if (path_fmt(path, sizeof(path), "%s/groups.csv", dir) == 0 && table_load(path, &t) == 0) {
		/* The grouping settings are groups.csv's columns other than its own. */
		for (int c = 0; c < t.ncols && nk < 14; c++) {
			bool own = false;

			for (size_t s = 0; s < sizeof(skip) / sizeof(*skip); s++)
				own |= !strcmp(t.head[c], skip[s]);
			if (!own)
				keys[nk++] = t.head[c];
		}
		fputs("<h3>Per run</h3>\n", f);
		r = html_pivot(f, &t, "run", keys, false, group_cell);
		keys[nk] = "flow";
		fputs("<h3>Per flow</h3>\n", f);
		r = r ?: html_pivot(f, &t, "flow", keys, false, group_cell);
		fputs("<h3>Link</h3>\n", f);
		r = r ?: html_pivot(f, &t, "link", keys, false, group_cell);
		table_free(&t);
		if (r < 0)
			return r;
	} else {
		fputs("<p class=\"warn\">No groups.csv.</p>\n", f);
	}
	r = charts_section(f, dir, "charts", NULL);
	if (r < 0)
		return r;
	return files_section(f, dir, "runs");
}

int report_write(const char *dir)
{
	char path[PATH_MAX], *page = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	bool run = exists(dir, "meta.json");

	if (!run && !exists(dir, "groups.csv"))
		return -ENOENT;
	if (path_fmt(path, sizeof(path), "%s/report.html", dir) < 0)
		return log_err_errno(-ENAMETOOLONG, "report: %s/report.html", dir);
	f = open_memstream(&page, &len);
	if (!f)
		return -ENOMEM;
	r = run ? run_page(f, dir) : compare_page(f, dir);
	fputs("<p><small>written by ccexp from this folder's files; it reads nothing else.</small>"
	      "</p>\n</body>\n</html>\n",
	      f);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		r = path_replace_file(path, page, len);
		if (r < 0)
			log_err_errno(r, "report: write %s", path);
	}
	free(page);
	return r;
}
