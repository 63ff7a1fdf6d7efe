/* Helper processes of a run (the tun emulator, the qdisc sampler): a shared page, a control
 * pipe, fork, a deadline to say ready, and one way to stop them and say how they ended. */
#ifndef CCX_CHILD_H
#define CCX_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_WHY_MAX 256

/*
 * Runs in the child. shared: the zeroed MAP_SHARED page(s); ctl_fd: read end of the control
 * pipe (EOF when the parent calls child_stop); ready_fd: for child_ready() or child_fail().
 * It must not return: it ends with _exit().
 */
typedef void (*child_main_fn)(void *arg, void *shared, int ctl_fd, int ready_fd);

struct child {
	const char *name; /* in messages: "the link emulator" */
	pid_t pid;	  /* 0 when none runs (never started, or reaped) */
	void *shared;
	size_t shared_len;
	int ctl_fd;		 /* the parent's end of the control pipe; -1 once closed */
	int status;		 /* waitpid status once reaped */
	bool reaped, killed;	 /* killed: the parent had to SIGKILL it */
	char why[CHILD_WHY_MAX]; /* why it failed to start, or how it ended when not cleanly */
};

/*
 * Maps shared_len zeroed shared bytes (c->shared), forks, and runs fn(arg, ...) in the
 * child, which dies with the parent (PDEATHSIG) and is named `comm` in ps. Waits up to
 * ready_ms for the child to say it is ready. A child that fails (child_fail), exits, or says
 * nothing before the deadline is killed and reaped; c->why then says which, and so does
 * stderr. The shared page stays mapped until child_free either way (it may hold the child's
 * own report). Returns 0, or -errno (-ETIMEDOUT: no word before the deadline).
 */
int child_start(struct child *c, const char *name, const char *comm, size_t shared_len,
		child_main_fn fn, void *arg, int ready_ms);
/* In the child: tells the parent it is ready (the ready fd is closed). */
void child_ready(int ready_fd);
/* In the child: tells the parent why it cannot start, then _exit(1). */
void child_fail(int ready_fd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Writes to the control pipe (a message the child reads); returns 0 or -errno. */
int child_send(struct child *c, const void *buf, size_t len);
/* False once the child has exited (it is reaped then). */
bool child_alive(struct child *c);
/*
 * Closes the control pipe (the child's cue to finish) and waits up to wait_ms for it to
 * exit; SIGKILLs and reaps it after that. Returns 0 when it exited by itself with status 0,
 * else -EIO with c->why saying how it ended ("killed after 3 s", "exit status 1", ...).
 * Safe to call twice.
 */
int child_stop(struct child *c, int wait_ms);
/* Unmaps the shared page (after child_stop, once what the child left there was read). */
void child_free(struct child *c);

#endif
