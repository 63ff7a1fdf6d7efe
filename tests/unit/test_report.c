/* Unit tests of report.html (analysis/report.c, html.c, core/json_flat.c): escaping of hostile
 * text, and the pages of made-up folders. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "ccx_test.h"
#include "analysis/html.h"
#include "analysis/report.h"

static char tmpdir[] = "/tmp/ccx-test-report-XXXXXX";

static char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fn(f, s);
	fclose(f);
	return out;
}

static void check_escape(const char *in, const char *want)
{
	char *got = escaped(html_text, in);

	CHECK_STR_EQ(got, want);
	free(got);
}

static void check_url(const char *in, const char *want)
{
	char *got = escaped(html_url, in);

	CHECK_STR_EQ(got, want);
	free(got);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	CHECK_MSG(f != NULL, "create %s", p);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *page_of(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/report.html", dir);
	return slurp(p);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Nothing but report.html and the files put there: no temporary file left. */
static void check_no_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		CHECK_MSG(strncmp(de->d_name, ".report.html", 12), "left behind: %s", de->d_name);
	if (d)
		closedir(d);
}

static void test_escape(void)
{
	check_escape("", "");
	check_escape(NULL, "");
	check_escape("plain text 1.5 Mbit/s", "plain text 1.5 Mbit/s");
	check_escape("<>&\"'", "&lt;&gt;&amp;&quot;&#39;");
	check_escape("# x </script><script>alert('x')</script>",
		     "# x &lt;/script&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	check_escape("a\" onerror=\"alert(1)", "a&quot; onerror=&quot;alert(1)");
	check_escape("&amp;", "&amp;amp;");
	check_escape("<!-- -->", "&lt;!-- --&gt;");
	check_escape("tab\tline\nend\r", "tab\tline\nend\r");
	check_escape("bell\x07nul-ish\x1f", "bell\xef\xbf\xbdnul-ish\xef\xbf\xbd");
	check_escape("caf\xc3\xa9", "caf\xc3\xa9");

	check_url("plots/cwnd.png", "plots/cwnd.png");
	check_url("a b#c?d.csv", "a%20b%23c%3Fd.csv");
	check_url("javascript:alert(1)", "javascript%3Aalert%281%29");
	check_url("x\"><script>", "x%22%3E%3Cscript%3E");
	check_url("caf\xc3\xa9.csv", "caf%C3%A9.csv");
}

/* A failed run whose every text is hostile: the page shows all of it as text. */
static void test_failed_run(void)
{
	char dir[512], *page;

	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/plots", tmpdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/timeline", tmpdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	put(dir, "meta.json",
	    "{\n  \"format_version\": 1,\n  \"name\": \"n<1>\",\n  \"run_id\": \"abc123\",\n"
	    "  \"status\": \"failed\",\n"
	    "  \"error\": \"flow b: </script><img src=x onerror=alert(1)>\",\n"
	    "  \"charts\": {\n    \"drawn\": [\"plots/throughput.png\"],\n"
	    "    \"failed\": [{\"chart\": \"cwnd\", \"reason\": \"gnuplot said <oops> & quit\"}]\n"
	    "  },\n"
	    "  \"host\": \"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\",\n"
	    "  \"kernel\": {\"release\": \"6.1 & more\", \"hz\": 250},\n"
	    "  \"link\": {\"up\": {\"rate_mbit\": 50.0}},\n"
	    "  \"list\": [1, [2, 3], {\"k\": null}]\n}\n");
	put(dir, "config.cfg", "# </script><script>alert(\"cfg\")</script>\nexperiment = {};\n");
	put(dir, "flows.csv",
	    "flow,conn,cc,status,goodput_mbit,retrans,rtos,limit,verdict\n"
	    "a,0,cubic,ok,1.5,0,0,cwnd,\"limited, by <cwnd> & \"\"more\"\"\"\n"
	    "b,0,reno,not started,,0,0,,\n");
	put(dir, "timeline/throughput.csv", "t_s,flow\n");
	put(dir, "plots/throughput.gp", "plot 1\n");
	put(dir, "plots/throughput.png", "not really a png, but there\n");
	put(dir, "plots/cwnd.gp", "plot 1\n");
	put(dir, "plots/srtt.gp", "plot 1\n");

	CHECK(report_write(dir) == 0);
	page = page_of(dir);
	CHECK(page != NULL);
	if (!page)
		return;
	CHECK(strstr(page, "<!DOCTYPE html>") == page);
	/* No markup from any file: the only tags are the page's own. */
	CHECK(!strstr(page, "<script"));
	CHECK(!strstr(page, "</script"));
	CHECK(!strstr(page, "<img src=x"));
	CHECK(!strstr(page, "<oops>"));
	CHECK(!strstr(page, "http:") && !strstr(page, "https:") && !strstr(page, "<link"));
	CHECK(strstr(page, "&lt;/script&gt;&lt;script&gt;alert(&quot;cfg&quot;)"));
	CHECK(strstr(page, "flow b: &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
	CHECK(strstr(page, "n&lt;1&gt;"));
	/* The status, prominently. */
	CHECK(strstr(page, "class=\"badge bad\" id=\"status\">failed</span>"));
	CHECK(strstr(page, "class=\"banner bad\""));
	CHECK(strstr(page, "<title>ccexp run n&lt;1&gt; abc123: failed</title>"));
	/* meta.json's strings unescaped, then escaped for HTML. */
	CHECK(strstr(page, "caf\xc3\xa9 &quot;q&quot; \xf0\x9f\x98\x80"));
	CHECK(strstr(page, "6.1 &amp; more"));
	CHECK(strstr(page, "<th>list[1][0]</th><td>2</td>"));
	CHECK(strstr(page, "<th>list[2].k</th><td>null</td>"));
	/* The verdicts, a bad flow's row marked. */
	CHECK(strstr(page, "limited, by &lt;cwnd&gt; &amp; &quot;more&quot;"));
	CHECK(count(page, "<tr class=\"badrow\">") == 1);
	/* The charts: the one drawn shown, the others listed missing with meta.json's reason. */
	CHECK(strstr(page, "<img src=\"plots/throughput.png\""));
	CHECK(count(page, "<img ") == 1);
	CHECK(strstr(page, "<li>cwnd: gnuplot said &lt;oops&gt; &amp; quit</li>"));
	CHECK(strstr(page, "<li>srtt: its script is there but no SVG or PNG</li>"));
	/* Every CSV linked; no summary.csv said so. */
	CHECK(strstr(page, "<a href=\"timeline/throughput.csv\">"));
	CHECK(strstr(page, "<a href=\"flows.csv\">"));
	CHECK(strstr(page, "No summary.csv"));
	CHECK(count(page, "<table") == count(page, "</table>"));
	CHECK(count(page, "<div") == count(page, "</div>"));
	free(page);

	/* An SVG is preferred to the PNG of the same chart. */
	put(dir, "plots/throughput.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n");
	CHECK(report_write(dir) == 0);
	page = page_of(dir);
	CHECK(page && strstr(page, "<img src=\"plots/throughput.svg\""));
	CHECK(page && !strstr(page, "<img src=\"plots/throughput.png\""));
	free(page);

	/* A meta.json that is not JSON: a page still, that does not pretend to know. */
	put(dir, "meta.json", "{\n  \"status\": \"complete\",\n  \"cut");
	CHECK(report_write(dir) == 0);
	page = page_of(dir);
	CHECK(page && strstr(page, "unknown (meta.json unreadable)"));
	CHECK(page && !strstr(page, ">complete<"));
	free(page);
	check_no_temp(dir);
}

static void test_compare(void)
{
	char dir[512], *page;

	snprintf(dir, sizeof(dir), "%s/cmp", tmpdir);
	mkdir(dir, 0755);
	put(dir, "runs.csv",
	    "run,group,repeat,link.queue_pkts,status,included\n"
	    "/r/a,0,0,20,complete,1\n/r/b,0,1,20,complete,1\n/r/c,,0,40,failed,0\n");
	put(dir, "groups.csv",
	    "group,link.queue_pkts,scope,flow,metric,n,mean,sd,ci95_low,ci95_high,median,min,max\n"
	    "0,20,run,,goodput_mbit,2,18.5,0.2,16.4,20.6,18.5,18.3,18.7\n"
	    "0,20,run,,convergence_s,0,,,,,,,\n"
	    "0,20,flow,a<b,goodput_mbit,2,9.25,0.1,8.0,10.5,9.25,9.1,9.4\n");
	put(dir, "compare.csv", "run,group,repeat,scope,flow,metric,value\n");
	CHECK(report_write(dir) == 0);
	page = page_of(dir);
	CHECK(page != NULL);
	if (!page)
		return;
	CHECK(strstr(page, "<th>link.queue_pkts</th>"));
	CHECK(strstr(page, "1 of 3 runs were left out"));
	CHECK(count(page, "<tr class=\"badrow\">") == 1);
	CHECK(strstr(page, ">18.5<br><small>[16.4, 20.6]</small><br><small>n=2</small>"));
	/* A metric no run has: n=0 and no number made up for it. */
	CHECK(strstr(page, "<td class=\"num\"><small>n=0</small></td>"));
	CHECK(!strstr(page, "title=\"mean \""));
	CHECK(strstr(page, "a&lt;b"));
	CHECK(strstr(page, "No chart scripts"));
	CHECK(strstr(page, "<a href=\"compare.csv\">"));
	free(page);
	check_no_temp(dir);

	/* Neither kind of folder: nothing written. */
	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	mkdir(dir, 0755);
	CHECK(report_write(dir) == -ENOENT);
	page = page_of(dir);
	CHECK(page == NULL);
	free(page);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_escape();
	test_failed_run();
	test_compare();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (ccx_test_failures)
		fprintf(stderr, "%d check(s) failed\n", ccx_test_failures);
	return ccx_test_failures ? 1 : 0;
}
