/* Running gnuplot on a chart's script, and telling a drawn PNG from one that is not. */
#include "analysis/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
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

/* Whether a chart file ends as its format ends: a PNG with its IEND chunk (length 0, "IEND",
 * the chunk's CRC), an SVG with its closing tag, a PDF with its %%EOF marker. A gnuplot
 * killed mid-write or a full disk leaves a file without it (or an empty one). */
static bool tail_complete(const unsigned char *tail, size_t n, const char *ext)
{
	static const unsigned char iend[12] = {0,   0,	 0,    0,    'I',  'E',
					       'N', 'D', 0xae, 0x42, 0x60, 0x82};

	while (strcmp(ext, "png") != 0 && n > 0 && strchr(" \t\r\n", tail[n - 1]))
		n--;
	if (strcmp(ext, "png") == 0)
		return n >= sizeof(iend) && !memcmp(tail + n - sizeof(iend), iend, sizeof(iend));
	if (strcmp(ext, "svg") == 0)
		return n >= 6 && !memcmp(tail + n - 6, "</svg>", 6);
	return n >= 5 && !memcmp(tail + n - 5, "%%EOF", 5);
}

int gnuplot_output_complete(const char *path, const char *shown, char *why, size_t len)
{
	const char *ext = strrchr(path, '.');
	unsigned char tail[64];
	struct stat st;
	ssize_t got = 0;
	size_t want;
	int fd, r = 0;

	ext = ext ? ext + 1 : "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(why, len, "gnuplot made no %s: %s", shown, strerror(-r));
		goto out;
	}
	if (st.st_size == 0) {
		r = -EIO;
		snprintf(why, len, "%s is empty", shown);
		goto out;
	}
	want = st.st_size < (off_t)sizeof(tail) ? (size_t)st.st_size : sizeof(tail);
	got = pread(fd, tail, want, st.st_size - (off_t)want);
	if (got != (ssize_t)want || !tail_complete(tail, want, ext)) {
		r = -EIO;
		snprintf(why, len, "%s is cut short (%lld bytes, no %s)", shown,
			 (long long)st.st_size,
			 !strcmp(ext, "png")   ? "IEND chunk"
			 : !strcmp(ext, "svg") ? "closing </svg>"
					       : "%%EOF");
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int gnuplot_start_script(struct gnuplot_job *job, const char *gnuplot, const char *dir,
			 const char *script)
{
	int pfd[2];
	pid_t pid;

	job->pid = -1;
	job->fd = -1;
	job->rundir = dir;
	job->chart = NULL;
	if (snprintf(job->script, sizeof(job->script), "%s", script) >= (int)sizeof(job->script))
		return log_err_errno(-ENAMETOOLONG, "gnuplot script %s", script);
	script = job->script;
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
		char *const argv[] = {(char *)"gnuplot", (char *)script, NULL};
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (chdir(dir) < 0) {
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

int gnuplot_wait(struct gnuplot_job *job, char *why, size_t whylen)
{
	const char *rundir = job->rundir, *script = job->script;
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
		if (nerr)
			log_debug("gnuplot %s: %s", script, err);
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

int gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *why, size_t whylen)
{
	struct gnuplot_job job;
	int r = gnuplot_start_script(&job, gnuplot, dir, script);

	if (r < 0) {
		snprintf(why, whylen, "could not start gnuplot: %s", strerror(-r));
		return r;
	}
	return gnuplot_wait(&job, why, whylen);
}

int gnuplot_start(struct gnuplot_job *job, const char *gnuplot, const char *rundir,
		  const char *chart)
{
	char script[NAME_MAX + 16];
	int r;

	snprintf(script, sizeof(script), "plots/%s.gp", chart);
	r = gnuplot_start_script(job, gnuplot, rundir, script);
	job->chart = chart;
	return r;
}

int gnuplot_finish(struct gnuplot_job *job, char *why, size_t whylen)
{
	char shown[NAME_MAX + 16], path[PATH_MAX];
	int r = gnuplot_wait(job, why, whylen);

	if (r < 0)
		return r;
	snprintf(shown, sizeof(shown), "plots/%s.png", job->chart);
	if (snprintf(path, sizeof(path), "%s/%s", job->rundir, shown) >= (int)sizeof(path)) {
		snprintf(why, whylen, "%s: %s", shown, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	r = gnuplot_output_complete(path, shown, why, whylen);
	if (r < 0) {
		log_err("%s/%s (gnuplot exited 0)", job->rundir, why);
		return r;
	}
	log_info("%s/%s", job->rundir, shown);
	return 0;
}
