/* `ccexp plot DIR`: a results folder's summary, charts and report, redrawn from its saved
 * files only. */
#include "analysis/plot.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "commands.h"
#include "core/log.h"
#include "run/results.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void plot_usage(FILE *out)
{
	fprintf(out,
		"usage: ccexp plot DIR\n"
		"\n"
		"Redraws the charts of results folder DIR from its saved CSV files only:\n"
		"writes DIR/summary.json and DIR/summary.csv (docs/metrics.md),\n"
		"writes DIR/plots/*.gp and renders DIR/plots/*.png with gnuplot, and records\n"
		"in DIR/meta.json's \"charts\" which were drawn and which failed, with why.\n"
		"Then writes DIR/report.html, the folder on one page (docs/csv-format.md).\n"
		"\n"
		"A run whose status was complete or charts_failed becomes complete when every\n"
		"chart is drawn, charts_failed otherwise.\n"
		"\n"
		"Exit status: 0 every chart drawn, 1 meta.json could not be updated, 2 bad\n"
		"command line or not a folder, 3 some charts (or the summary) were not made.\n"
		"\n"
		"EXAMPLES\n"
		"  ccexp plot results/quickstart/20261125-101500-3f9a1c\n");
}

int cmd_plot(int argc, char **argv)
{
	char spare[PATH_MAX];
	struct plot_report rep;
	struct stat st;
	int r, summary_r;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		plot_usage(stdout);
		return CCX_EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		plot_usage(stderr);
		return CCX_EXIT_USAGE;
	}
	if (stat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ccexp plot: %s: not a results folder\n", argv[1]);
		return CCX_EXIT_USAGE;
	}
	/* Drawing may fill the disk: meta.json must still take what became of the charts. */
	results_spare_keep(argv[1], spare, sizeof(spare));
	summary_r = summary_write(argv[1]);
	if (summary_r < 0)
		log_err("the summary (summary.json, summary.csv) was not written");
	plot_run_dir_report(argv[1], true, &rep);
	for (int i = 0; i < rep.n; i++)
		if (!rep.chart[i].drawn)
			log_err("chart %s was not drawn: %s", rep.chart[i].name,
				rep.chart[i].reason);
	r = results_update_charts_spare(argv[1], &rep, spare);
	results_spare_release(spare);
	if (report_write(argv[1]) == -ENOENT)
		log_info("%s has no meta.json: no report.html", argv[1]);
	if (r == -ENOENT)
		log_info("%s has no meta.json: the charts are not recorded", argv[1]);
	else if (r < 0)
		log_err_errno(r, "record the charts in %s/meta.json", argv[1]);
	if (plot_report_failed(&rep) || summary_r < 0)
		return CCX_EXIT_CHARTS;
	return r < 0 && r != -ENOENT ? CCX_EXIT_FAILURE : CCX_EXIT_OK;
}
