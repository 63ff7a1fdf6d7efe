/* The helper-process start-up (kernel/child.c): a child that never says ready, fails, or
 * exits is killed and reaped with the reason; a stuck child is killed at stop. */
#include "ccx_test.h"
#include "kernel/child.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* pid is gone: reaped, not a zombie, not running. */
static bool gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* Each child writes its pid first, so the test can look for it after the helper is done. */
struct probe {
	pid_t pid;
	int counter;
};

static void main_ready(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	struct probe *p = shared;
	char c;

	(void)arg;
	p->pid = getpid();
	child_ready(ready_fd);
	/* Works until told to stop: the control pipe's EOF. */
	while (read(ctl_fd, &c, 1) > 0)
		p->counter++;
	_exit(0);
}

static void main_silent(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	(void)arg;
	(void)ctl_fd;
	(void)ready_fd;
	((struct probe *)shared)->pid = getpid();
	for (;;)
		pause();
}

static void main_fail(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	(void)ctl_fd;
	((struct probe *)shared)->pid = getpid();
	child_fail(ready_fd, "create %s: %s", (const char *)arg, strerror(ENOSPC));
}

static void main_exit(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	(void)arg;
	(void)ctl_fd;
	(void)ready_fd;
	((struct probe *)shared)->pid = getpid();
	_exit(3);
}

/* Says ready, then ignores the stop cue (and SIGTERM). */
static void main_stuck(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	(void)arg;
	(void)ctl_fd;
	signal(SIGTERM, SIG_IGN);
	((struct probe *)shared)->pid = getpid();
	child_ready(ready_fd);
	for (;;)
		pause();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct child c;
	struct probe *p;
	pid_t pid;
	double t;
	int r;

	/* The good case: ready, told things, stopped, exit 0. */
	r = child_start(&c, "test child", "ccx-test", sizeof(struct probe), main_ready, NULL, 2000);
	CHECK(r == 0);
	p = c.shared;
	CHECK(p && p->pid > 0);
	CHECK(child_alive(&c));
	CHECK(child_send(&c, "ab", 2) == 0);
	pid = p->pid;
	CHECK(child_stop(&c, 2000) == 0);
	CHECK(p->counter == 2);
	CHECK(gone(pid));
	CHECK(!c.killed);
	child_free(&c);

	/* Never says ready: killed and reaped at the deadline, and the reason given. */
	t = now_s();
	r = child_start(&c, "test child", "ccx-test", sizeof(struct probe), main_silent, NULL, 300);
	t = now_s() - t;
	CHECK_MSG(r == -ETIMEDOUT, "r = %d", r);
	CHECK_MSG(t > 0.25 && t < 2.0, "waited %.2f s for a 0.3 s deadline", t);
	pid = ((struct probe *)c.shared)->pid;
	CHECK(pid > 0 && gone(pid));
	CHECK(c.killed && c.pid == 0);
	CHECK_MSG(strstr(c.why, "did not say it was ready within 0.3 s"), "why: %s", c.why);
	child_stop(&c, 100); /* safe after a failed start */
	child_free(&c);

	/* Fails with its own reason. */
	r = child_start(&c, "test child", "ccx-test", sizeof(struct probe), main_fail,
			(void *)"x.csv", 2000);
	CHECK(r == -EIO);
	CHECK_STR_EQ(c.why, "create x.csv: No space left on device");
	pid = ((struct probe *)c.shared)->pid;
	CHECK(pid > 0 && gone(pid));
	child_free(&c);

	/* Exits without a word. */
	r = child_start(&c, "test child", "ccx-test", sizeof(struct probe), main_exit, NULL, 2000);
	CHECK(r == -EIO);
	CHECK_MSG(strstr(c.why, "exit status 3"), "why: %s", c.why);
	pid = ((struct probe *)c.shared)->pid;
	CHECK(pid > 0 && gone(pid));
	child_free(&c);

	/* Stuck at stop: killed after the wait, and said so. */
	r = child_start(&c, "test child", "ccx-test", sizeof(struct probe), main_stuck, NULL, 2000);
	CHECK(r == 0);
	pid = ((struct probe *)c.shared)->pid;
	t = now_s();
	r = child_stop(&c, 200);
	t = now_s() - t;
	CHECK(r == -ETIMEDOUT);
	CHECK(c.killed && gone(pid));
	CHECK_MSG(t > 0.15 && t < 2.0, "stop took %.2f s for a 0.2 s wait", t);
	CHECK_MSG(strstr(c.why, "was killed"), "why: %s", c.why);
	CHECK(child_stop(&c, 200) == -ETIMEDOUT); /* the same answer twice */
	child_free(&c);

	return ccx_test_result();
}
