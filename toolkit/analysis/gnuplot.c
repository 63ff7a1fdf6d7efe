/* Running gnuplot on a chart's script, and telling a drawn PNG from one that is not. */
#include "analysis/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"

/* Enough of gnuplot's complaints to say what went wrong, not a runaway loop's worth. */
#define GNUPLOT_ERR_MAX 4096

/* Finds `prog` on PATH as execvp would; returns 0 with its path, or -ENOENT. */
int gnuplot_find(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		/* An empty PATH entry means the current directory. */
		if (snprintf(out, size, "%.*s%s%s", (int)len, len ? path : ".", len ? "/" : "",
			     prog) < (int)size &&
		    access(out, X_OK) == 0) {
			char *abs = realpath(out, NULL);

			/* gnuplot runs in rundir, where a relative PATH entry means another place.
			 */
			if (abs && strlen(abs) < size)
				strcpy(out, abs);
			free(abs);
			return 0;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return -ENOENT;
}

/* A PNG is whole when it ends with its IEND chunk: length 0, "IEND", the chunk's CRC. A
 * gnuplot killed mid-write or a full disk leaves a file without it (or an empty one).
 * Returns 0, or -errno with why. */
static int png_complete(const char *rundir, const char *chart, char *why, size_t len)
{
	static const unsigned char iend[12] = {0,   0,	 0,    0,    'I',  'E',
					       'N', 'D', 0xae, 0x42, 0x60, 0x82};
	unsigned char tail[12];
	char path[PATH_MAX];
	struct stat st;
	int fd, r = 0;

	if (snprintf(path, sizeof(path), "%s/plots/%s.png", rundir, chart) >= (int)sizeof(path)) {
		snprintf(why, len, "plots/%s.png: %s", chart, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(why, len, "gnuplot made no plots/%s.png: %s", chart, strerror(-r));
	} else if (st.st_size == 0) {
		r = -EIO;
		snprintf(why, len, "plots/%s.png is empty", chart);
	} else if (st.st_size < (off_t)sizeof(tail) ||
		   pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) !=
		       (ssize_t)sizeof(tail) ||
		   memcmp(tail, iend, sizeof(tail))) {
		r = -EIO;
		snprintf(why, len, "plots/%s.png is cut short (%lld bytes, no IEND chunk)", chart,
			 (long long)st.st_size);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int gnuplot_start(struct gnuplot_job *job, const char *gnuplot, const char *rundir,
		  const char *chart)
{
	char *script = job->script;
	int pfd[2];
	pid_t pid;

	job->pid = -1;
	job->fd = -1;
	job->rundir = rundir;
	job->chart = chart;
	snprintf(job->script, sizeof(job->script), "plots/%s.gp", chart);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return log_err_errno(-errno, "pipe for gnuplot");
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return log_err_errno(r, "fork gnuplot");
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here: the parent may have threads. */
		static const char chdir_failed[] = "ccexp: cannot change into the results folder\n";
		static const char exec_failed[] = "ccexp: cannot execute gnuplot\n";
		char *const argv[] = {(char *)"gnuplot", script, NULL};
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (chdir(rundir) < 0) {
			(void)!write(STDERR_FILENO, chdir_failed, sizeof(chdir_failed) - 1);
			_exit(127);
		}
		execv(gnuplot, argv);
		(void)!write(STDERR_FILENO, exec_failed, sizeof(exec_failed) - 1);
		_exit(127);
	}
	close(pfd[1]);
	job->pid = pid;
	job->fd = pfd[0];
	return 0;
}

int gnuplot_finish(struct gnuplot_job *job, char *why, size_t whylen)
{
	const char *rundir = job->rundir, *chart = job->chart, *script = job->script;
	char err[GNUPLOT_ERR_MAX];
	size_t nerr = 0;
	pid_t pid = job->pid;
	int status;

	for (;;) {
		char buf[512];
		ssize_t n = read(job->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Keep reading past the limit so gnuplot never blocks on a full pipe. */
		for (ssize_t i = 0; i < n && nerr < sizeof(err) - 1; i++)
			err[nerr++] = buf[i];
	}
	close(job->fd);
	job->fd = -1;
	err[nerr] = '\0';
	while (nerr > 0 && (err[nerr - 1] == '\n' || err[nerr - 1] == ' '))
		err[--nerr] = '\0';
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			snprintf(why, whylen, "wait for gnuplot: %s", strerror(-r));
			return log_err_errno(r, "wait for gnuplot");
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		int r = png_complete(rundir, chart, why, whylen);

		if (nerr)
			log_debug("gnuplot %s: %s", script, err);
		if (r < 0) {
			log_err("%s/%s (gnuplot exited 0)", rundir, why);
			return r;
		}
		log_info("%s/plots/%s.png", rundir, chart);
		return 0;
	}
	/* gnuplot's own last line says most (e.g. "No space left on device"). */
	{
		const char *last = strrchr(err, '\n');

		last = last ? last + 1 : err;
		if (WIFEXITED(status))
			snprintf(why, whylen, "gnuplot exited with status %d%s%.180s",
				 WEXITSTATUS(status), nerr ? ": " : "", last);
		else
			snprintf(why, whylen, "gnuplot was killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
	if (WIFEXITED(status))
		log_err("gnuplot %s (in %s) failed with exit status %d%s%s", script, rundir,
			WEXITSTATUS(status), nerr ? ":\n" : "", err);
	else
		log_err("gnuplot %s (in %s) was killed by signal %d%s%s", script, rundir,
			WTERMSIG(status), nerr ? ":\n" : "", err);
	return -EIO;
}
