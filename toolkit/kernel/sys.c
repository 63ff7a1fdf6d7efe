/* Small system helpers: run a command, read/write small files, enter a netns or a scratch
 * one, clocks. */
#include "kernel/sys.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Forks a child that runs child(arg, fd), fd being the write end of a pipe (child must not
 * return), keeps the start of what it writes in out (the rest is read and dropped, so the
 * child never blocks) and waits for it. Returns its wait status, or -errno.
 */
static int fork_collect(void (*child)(const void *arg, int fd), const void *arg, char *out,
			size_t outlen)
{
	size_t used = 0;
	int pipefd[2], status, r;
	ssize_t n;
	pid_t pid;

	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(arg, pipefd[1]);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char rest[256];

		if (used + 1 < outlen)
			n = read(pipefd[0], out + used, outlen - 1 - used);
		else
			n = read(pipefd[0], rest, sizeof(rest));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + 1 < outlen)
			used += (size_t)n;
	}
	if (outlen)
		out[used] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

static void exec_child(const void *arg, int fd)
{
	const char *const *argv = arg;
	char path[PATH_MAX];
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	execvp(argv[0], (char *const *)argv);
	/* sudo and cron often drop /usr/sbin from PATH; iproute2 lives there. */
	snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
	execv(path, (char *const *)argv);
	snprintf(path, sizeof(path), "/sbin/%s", argv[0]);
	execv(path, (char *const *)argv);
	dprintf(1, "%s: not installed", argv[0]);
	_exit(127);
}

int sys_run_capture(const char *const argv[], char *out, size_t outlen)
{
	int status = fork_collect(exec_child, argv, out, outlen);

	if (status < 0)
		return status;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
}

int sys_run(const char *const argv[])
{
	char out[4096], cmd[512];
	size_t off = 0;
	int r;

	r = sys_run_capture(argv, out, sizeof(out));
	if (r == 0 && log_verbosity < 2)
		return 0;
	cmd[0] = '\0';
	for (int i = 0; argv[i] && off < sizeof(cmd); i++)
		off += snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "", argv[i]);
	if (r < 0)
		log_err("command failed: %s%s%s", cmd, out[0] ? "\n" : "", out);
	else
		log_debug("ran: %s%s%s", cmd, out[0] ? "\n" : "", out);
	return r;
}

int sys_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sys_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int sys_mkdir_p(const char *path, unsigned int mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sys_enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

int sys_in_netns(const char *ns, int (*fn)(void *arg), void *arg)
{
	int self, r;

	if (!ns)
		return fn(arg);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	r = sys_enter_netns(ns);
	if (r == 0) {
		r = fn(arg);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* Staying in the wrong namespace would be worse than stopping. */
			log_err_errno(-errno, "return to the original network namespace");
			abort();
		}
	}
	close(self);
	return r;
}

struct file_op {
	const char *path;
	char *buf;
	size_t len;
	const char *value; /* set: write it; else read into buf */
};

static int file_op(void *arg)
{
	const struct file_op *op = arg;

	return op->value ? sys_write_file(op->path, op->value)
			 : sys_read_file(op->path, op->buf, op->len);
}

/* /proc/sys/net and /proc/net show the netns of the process that opens them. */
static int with_netns(const char *ns, const char *path, char *buf, size_t len, const char *value)
{
	struct file_op op = {path, buf, len, value};

	return sys_in_netns(ns, file_op, &op);
}

int sys_read_in_netns(const char *ns, const char *path, char *buf, size_t len)
{
	return with_netns(ns, path, buf, len, NULL);
}

int sys_read_sysctl(const char *ns, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return with_netns(ns, path, buf, len, NULL);
}

int sys_write_sysctl(const char *ns, const char *name, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return with_netns(ns, path, NULL, 0, value);
}

struct scratch {
	int ns_flags;
	sys_scratch_fn fn;
	const void *arg;
};

/* fn's result becomes the exit status: -errno as errno (EIO when it does not fit). */
static void scratch_child(const void *arg, int fd)
{
	const struct scratch *sc = arg;
	char buf[256] = "";
	int code, r;

	if (unshare(sc->ns_flags) < 0) {
		r = -errno;
		snprintf(buf, sizeof(buf), "unshare(%s): %s",
			 sc->ns_flags == CLONE_NEWNET ? "CLONE_NEWNET" : "CLONE_NEWNS",
			 strerror(-r));
	} else {
		r = sc->fn(sc->arg, buf, sizeof(buf));
	}
	if (write(fd, buf, strlen(buf)) < 0)
		r = r ? r : -errno;
	code = -r;
	if (r < 0 && (code <= 0 || code > 255))
		code = EIO;
	_exit(r < 0 ? code : 0);
}

int sys_in_scratch_ns(int ns_flags, sys_scratch_fn fn, const void *arg, char *msg, size_t len)
{
	const struct scratch sc = {ns_flags, fn, arg};
	int status = fork_collect(scratch_child, &sc, msg, len);

	if (status < 0)
		return status;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

uint64_t sys_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
