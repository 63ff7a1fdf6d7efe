/* Running gnuplot on a chart's script, and telling a drawn PNG from one that is not. */
#ifndef CCX_GNUPLOT_H
#define CCX_GNUPLOT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* Finds `prog` on PATH as execvp would; returns 0 with its absolute path in out, or
 * -ENOENT. */
int gnuplot_find(const char *prog, char *out, size_t size);

/* A gnuplot started on a chart's script and not yet waited for: the charts of a run are
 * drawn side by side, each gnuplot being a process of its own. */
struct gnuplot_job {
	pid_t pid;
	int fd; /* gnuplot's stderr */
	const char *rundir, *chart;
	char script[NAME_MAX + 16];
};

/*
 * Draws a chart in two halves. gnuplot_start runs `gnuplot plots/<chart>.gp` in rundir (the
 * scripts read their data by relative paths) without waiting: 0, or -errno logged.
 * gnuplot_finish, called once for every job started, waits for it and checks the PNG it made:
 * drawn means gnuplot exited 0 and plots/<chart>.png is non-empty and ends with its IEND
 * chunk. Returns 0, or -errno with the reason in why (gnuplot's exit status and last line,
 * the signal that killed it, an empty or cut PNG), and what gnuplot said logged.
 */
int gnuplot_start(struct gnuplot_job *job, const char *gnuplot, const char *rundir,
		  const char *chart);
int gnuplot_finish(struct gnuplot_job *job, char *why, size_t whylen);

#endif
