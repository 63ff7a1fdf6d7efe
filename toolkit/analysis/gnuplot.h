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
	char script[PATH_MAX];
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

/* The same for any script, run with cwd = dir: gnuplot_start_script starts it (0, or -errno
 * logged), gnuplot_wait waits for it: 0 when gnuplot exited 0, else -errno with the reason in
 * why (its exit status and last line, or the signal that killed it), and what gnuplot said
 * logged. It checks no output file: see gnuplot_output_complete. */
int gnuplot_start_script(struct gnuplot_job *job, const char *gnuplot, const char *dir,
			 const char *script);
int gnuplot_wait(struct gnuplot_job *job, char *why, size_t whylen);

/* Runs `gnuplot script` with cwd = dir (scripts read their data by relative paths).
 * Returns 0 when gnuplot exited 0, else -errno with the reason in why (its exit status and
 * last line, or the signal that killed it), and what gnuplot said logged. */
int gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *why, size_t whylen);

/* Whether the chart file at path is whole, by its extension: a PNG ends with its IEND
 * chunk, an SVG with </svg>, a PDF with %%EOF. Returns 0, or -errno with why (naming the
 * file as `shown`): missing, empty or cut short. */
int gnuplot_output_complete(const char *path, const char *shown, char *why, size_t len);

#endif
