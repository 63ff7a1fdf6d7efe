/* Running a sweep's runs: each a child `ccexp run`, -j at once, resumable, with a progress
 * line; the options of `ccexp sweep` that say how. */
#ifndef CCX_SWEEP_RUNNER_H
#define CCX_SWEEP_RUNNER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/sweep.h"

#define SWEEP_SETUP_S 3.0 /* what a run costs beyond duration_s: namespaces, link, charts */

enum sweep_mode { MODE_RUN, MODE_DRY_RUN, MODE_LIST, MODE_POINT, MODE_EMIT };

struct sweep_opts {
	enum sweep_mode mode;
	const char *config;
	const char *out;
	const char *point;
	const char *emit;
	int jobs;
	bool shuffled;
	bool retry_failed;
	bool force;
	char dir[PATH_MAX];  /* the sweep folder, as given or by default */
	char self[PATH_MAX]; /* this program, for the children and the emitted lines */
	char config_abs[PATH_MAX];
};

/* "3m10s", "1h02m", "40s" */
void sweep_fmt_duration(char *buf, size_t len, double s);
/* Runs what the folder lacks, in o->shuffled order, o->jobs at once; returns the exit code. */
int sweep_run(const struct sweep_opts *o, const struct sweep *sw);
/* Runs the one run o->point names; returns the exit code (the run's). */
int sweep_point(const struct sweep_opts *o, const struct sweep *sw);

#endif
