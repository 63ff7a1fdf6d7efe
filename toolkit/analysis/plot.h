/* gnuplot charts of a results folder, drawn only from its saved CSV files. */
#ifndef CCX_PLOT_H
#define CCX_PLOT_H

#include <stdbool.h>

/*
 * Writes rundir/plots/<chart>.gp for every chart the folder's CSV files allow
 * (throughput per flow; cwnd per connection with retransmits marked), and when `render`
 * is true runs gnuplot on each to make rundir/plots/<chart>.png.
 * Scripts read their data by paths relative to rundir (gnuplot is run with cwd = rundir),
 * so a copied results folder can be re-rendered with `cd DIR && gnuplot plots/X.gp`.
 * Returns 0 or -errno (a missing gnuplot when render is true is -ENOENT, with a message).
 */
int plot_run_dir(const char *rundir, bool render);

#define PLOT_MAX_CHARTS 8

/* What became of each chart plot_run_dir_report tried to draw. */
struct plot_report {
	int n;
	struct plot_chart {
		char name[32];	  /* plots/<name>.png */
		bool drawn;	  /* the PNG exists, is non-empty and ends with its IEND chunk */
		char reason[256]; /* why not, when not drawn */
	} chart[PLOT_MAX_CHARTS];
};

/* plot_run_dir, and fills rep with every chart it had a script for: drawn, or failed with
 * the reason (gnuplot's exit status or signal, a missing, empty or cut PNG). A chart whose
 * data is absent is not listed. Returns what plot_run_dir returns. */
int plot_run_dir_report(const char *rundir, bool render, struct plot_report *rep);
/* True when rep lists a chart that was not drawn. */
bool plot_report_failed(const struct plot_report *rep);

#endif
