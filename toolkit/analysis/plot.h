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

#endif
