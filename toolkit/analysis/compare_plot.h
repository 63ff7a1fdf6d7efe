/* The charts of `ccexp compare`, drawn from its compare.csv, groups.csv, runs.csv and runs. */
#ifndef CCX_COMPARE_PLOT_H
#define CCX_COMPARE_PLOT_H

#include "analysis/plot.h"

/*
 * Reads outdir/compare.csv, groups.csv and runs.csv (docs/compare.md) and the included
 * run folders runs.csv names (an absolute path, or one relative to outdir), and draws into
 * outdir/charts/ one <name>.gp script with its <name>.dat data per chart and, from it, a
 * <name>.<fmt> file per format of `formats` (NULL-terminated: "png", "svg", "pdf"; NULL or
 * empty means png). Every script re-runs from its folder: `cd outdir/charts && gnuplot
 * <name>.gp`. A chart counts as drawn when gnuplot exited 0 and every file it made is whole;
 * rep lists each chart tried, drawn or with the reason it was not.
 * Returns 0 when every chart was drawn; -EINVAL for an unknown format or unreadable input
 * (logged with the file and line), -ENOTSUP for a format this gnuplot cannot draw, -ENOENT
 * without gnuplot, -EIO when a chart failed.
 */
int compare_plot(const char *outdir, const char *const *formats, struct plot_report *rep);

#endif
