/* Helper processes of a run: shared page, control pipe, fork, ready deadline, stop. */
#include "kernel/child.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How a reaped child ended, in words. */
static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned int)status);
}

static void reap(struct child *c, int flags)
{
	pid_t p;

	if (c->pid <= 0)
		return;
	do
		p = waitpid(c->pid, &c->status, flags);
	while (p < 0 && errno == EINTR);
	if (p == c->pid || (p < 0 && errno == ECHILD)) {
		c->pid = 0;
		c->reaped = true;
	}
}

static void kill_and_reap(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	c->killed = true;
	reap(c, 0);
}

void child_ready(int ready_fd)
{
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
}

void child_fail(int ready_fd, const char *fmt, ...)
{
	char msg[CHILD_WHY_MAX] = "e";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	(void)!write(ready_fd, msg, strlen(msg));
	_exit(1);
}

/* Waits for the child's first word: 0 once it says ready, -errno with c->why otherwise. */
static int wait_ready(struct child *c, int fd, int ready_ms)
{
	long deadline = mono_ms() + ready_ms;
	char msg[CHILD_WHY_MAX];
	size_t got = 0;

	for (;;) {
		long left = deadline - mono_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		ssize_t k;

		/* A signal to the run does not cut the wait short: the caller looks at it next,
		 * with a child that either started or was reaped. */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			snprintf(c->why, sizeof(c->why), "waiting for it failed: %s", strerror(-r));
			return r;
		}
		if (n == 0) {
			snprintf(c->why, sizeof(c->why),
				 "it did not say it was ready within %.1f s", ready_ms / 1000.0);
			return -ETIMEDOUT;
		}
		k = read(fd, msg + got, sizeof(msg) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0 && got == 0 && msg[0] == 'r')
			return 0;
		if (k > 0) {
			got += (size_t)k;
			if (got < sizeof(msg) - 1)
				continue; /* the rest of its message, up to EOF */
		}
		/* EOF: it failed (with its message) or exited without a word. */
		msg[got] = '\0';
		if (got > 1 && msg[0] == 'e') {
			snprintf(c->why, sizeof(c->why), "%s", msg + 1);
			return -EIO;
		}
		reap(c, 0);
		if (c->reaped) {
			char how[96];

			describe_status(how, sizeof(how), c->status);
			snprintf(c->why, sizeof(c->why), "it ended before it was ready (%s)", how);
		} else {
			snprintf(c->why, sizeof(c->why), "it closed its ready pipe without a word");
		}
		return -EIO;
	}
}

int child_start(struct child *c, const char *name, const char *comm, size_t shared_len,
		child_main_fn fn, void *arg, int ready_ms)
{
	int ctl[2] = {-1, -1}, ready[2] = {-1, -1}, r = 0;
	pid_t parent = getpid();

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->ctl_fd = -1;
	c->shared_len = shared_len;
	c->shared =
	    mmap(NULL, shared_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->shared == MAP_FAILED) {
		c->shared = NULL;
		r = -errno;
		snprintf(c->why, sizeof(c->why), "map its shared page: %s", strerror(-r));
		goto out;
	}
	if (pipe2(ctl, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(c->why, sizeof(c->why), "create its pipes: %s", strerror(-r));
		goto out;
	}
	fflush(NULL); /* what stdio holds would be written twice */
	c->pid = fork();
	if (c->pid < 0) {
		r = -errno;
		c->pid = 0;
		snprintf(c->why, sizeof(c->why), "fork: %s", strerror(-r));
		goto out;
	}
	if (c->pid == 0) {
		close(ctl[1]);
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died before PDEATHSIG was set. */
		if (getppid() != parent)
			_exit(1);
		if (comm)
			prctl(PR_SET_NAME, comm);
		fn(arg, c->shared, ctl[0], ready[1]);
		_exit(1);
	}
	c->ctl_fd = ctl[1];
	ctl[1] = -1;
	close(ready[1]);
	ready[1] = -1;
	r = wait_ready(c, ready[0], ready_ms);
	if (r < 0) {
		kill_and_reap(c);
		close(c->ctl_fd);
		c->ctl_fd = -1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	if (r < 0)
		log_err("%s did not start: %s", name, c->why);
	return r;
}

int child_send(struct child *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->ctl_fd < 0)
		return -EPIPE;
	do
		n = write(c->ctl_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

bool child_alive(struct child *c)
{
	reap(c, WNOHANG);
	return c->pid > 0;
}

int child_stop(struct child *c, int wait_ms)
{
	char how[96];

	if (c->ctl_fd >= 0) {
		close(c->ctl_fd);
		c->ctl_fd = -1;
	}
	if (c->pid > 0) {
		long deadline = mono_ms() + wait_ms;

		for (reap(c, WNOHANG); c->pid > 0 && mono_ms() < deadline; reap(c, WNOHANG))
			usleep(5000);
		if (c->pid > 0) {
			kill_and_reap(c);
			snprintf(c->why, sizeof(c->why),
				 "it did not finish within %.1f s of being told to and was killed",
				 wait_ms / 1000.0);
			return -ETIMEDOUT;
		}
	}
	if (!c->reaped)
		return 0; /* never started */
	if (c->killed)
		return -ETIMEDOUT; /* why was set when it was killed */
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return 0;
	describe_status(how, sizeof(how), c->status);
	if (!c->why[0])
		snprintf(c->why, sizeof(c->why), "it ended with %s", how);
	return -EIO;
}

void child_free(struct child *c)
{
	if (c->shared)
		munmap(c->shared, c->shared_len);
	c->shared = NULL;
}
