/* Running a sweep's runs: each a child `ccexp run` into runs/.<run_id>.partial, handed over to
 * runs/<run_id> when it ends; -j at once, signals passed on, a progress line or log lines. */
#include "sweep/runner.h"

#include "commands.h"
#include "core/log.h"
#include "sweep/folder.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_TICK_MS 200 /* how often the progress line and the children are looked at */

static volatile sig_atomic_t sweep_signal, sweep_signals;

static void on_signal(int sig)
{
	sweep_signal = sig;
	sweep_signals++;
}

void sweep_fmt_duration(char *buf, size_t len, double s)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%lds", t);
}

struct slot {
	pid_t pid; /* 0: free */
	int run;   /* index into sw->runs */
	struct run_claim claim;
	struct timespec started;
};

struct runner {
	const struct sweep_opts *o;
	const struct sweep *sw;
	struct sweep_info info;
	struct run_status *st;
	int counts[RS_COUNT];
	struct slot *slots;
	int running;
	int forwarded;	     /* signals passed on to the children */
	int started_here;    /* runs this process started */
	int ended_here;	     /* and saw end */
	int todo;	     /* runs it meant to run when it began */
	double ended_wall_s; /* sum of the wall times of those that ended */
	struct timespec t0;
	bool tty;
	bool line_shown; /* the progress line is on the terminal */
	bool retry_failed;
	int last_code; /* exit code of the last run that ended */
};

static double since_s(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static int done_count(const struct runner *rn)
{
	return rn->counts[RS_COMPLETE] + rn->counts[RS_CHARTS_FAILED] + rn->counts[RS_FAILED];
}

/* Clears the progress line so that a log line can be printed. */
static void line_clear(struct runner *rn)
{
	if (rn->line_shown) {
		fprintf(stderr, "\r\033[K");
		rn->line_shown = false;
	}
}

static void progress(struct runner *rn)
{
	char el[32], eta[32];
	double per_run_s =
	    rn->ended_here ? rn->ended_wall_s / rn->ended_here : rn->sw->duration_s + SWEEP_SETUP_S;
	int left = rn->todo - rn->ended_here;

	if (!rn->tty || log_verbosity < 1)
		return;
	sweep_fmt_duration(el, sizeof(el), since_s(&rn->t0));
	sweep_fmt_duration(eta, sizeof(eta), left > 0 ? left * per_run_s / rn->o->jobs : 0);
	fprintf(stderr, "\r\033[K[%d/%d] %d failed, %s elapsed, ETA %s%s", done_count(rn),
		rn->sw->nruns, rn->counts[RS_FAILED], el, eta, sweep_signals ? " (stopping)" : "");
	fflush(stderr);
	rn->line_shown = true;
}

/* "link.queue_bdp=0.5 flows.b.cc=bbr", for log lines. */
static void point_text(const struct sweep *sw, const struct sweep_run *run, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int p = 0; p < sw->nparams && n < len; p++)
		n += snprintf(buf + n, len - n, "%s%s=%s", p ? " " : "", sw->params[p].path,
			      run->values[p]);
}

static int write_state(struct runner *rn)
{
	int fd = folder_lock(rn->o->dir), r;

	if (fd < 0)
		return fd;
	r = folder_write(rn->o->dir, rn->sw, &rn->info, rn->st, rn->counts);
	folder_unlock(fd);
	return r;
}

static pid_t spawn(const struct sweep_opts *o, struct run_claim *c)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* Its own process group: a Ctrl-C reaches the sweep alone, which passes it on once. */
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	int log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int null = open("/dev/null", O_RDONLY);

	if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(CCX_EXIT_FAILURE);
	/* The claim lives as long as the run does, even if this sweep dies first. */
	fcntl(c->lock_fd, F_SETFD, 0);
	execl(o->self, "ccexp", "run", "-o", c->partial, c->cfg, (char *)NULL);
	_exit(127);
}

/* Claims run i and starts it; 1 when started, 0 when it needs no run now, -errno. */
static int start_run(struct runner *rn, int i)
{
	const struct sweep_run *run = &rn->sw->runs[i];
	struct slot *s = NULL;
	char what[1024];
	int fd, r;

	for (int k = 0; k < rn->o->jobs && !s; k++)
		if (!rn->slots[k].pid)
			s = &rn->slots[k];
	fd = folder_lock(rn->o->dir);
	if (fd < 0)
		return fd;
	/* Another process (a --point, another sweep) may have run it meanwhile. */
	r = folder_run_status(rn->o->dir, run, &rn->st[i]);
	if (r == 0 && !run_state_todo(rn->st[i].state, rn->retry_failed)) {
		folder_unlock(fd);
		if (rn->st[i].state == RS_RUNNING) {
			line_clear(rn);
			log_info("sweep: %s is running in another process; not started here",
				 run->run_id);
		}
		rn->todo--;
		return 0;
	}
	if (r == 0)
		r = folder_claim(rn->o->dir, run, &s->claim);
	if (r == -EBUSY) {
		folder_unlock(fd);
		rn->todo--;
		return 0;
	}
	if (r == 0) {
		pid_t pid = spawn(rn->o, &s->claim);

		if (pid < 0) {
			r = log_err_errno(pid, "start a run");
			folder_release(&s->claim);
		} else {
			setpgid(pid, pid);
			s->pid = pid;
			s->run = i;
			clock_gettime(CLOCK_MONOTONIC, &s->started);
			rn->running++;
			rn->started_here++;
		}
	}
	if (r == 0)
		folder_write(rn->o->dir, rn->sw, &rn->info, rn->st, rn->counts);
	folder_unlock(fd);
	if (r < 0)
		return r;
	if (rn->tty)
		return 1;
	point_text(rn->sw, run, what, sizeof(what));
	log_info("sweep: start %s [%d/%d]%s%s", run->run_id, rn->started_here, rn->todo,
		 what[0] ? " " : "", what);
	return 1;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void end_run(struct runner *rn, struct slot *s, int status)
{
	const struct sweep_run *run = &rn->sw->runs[s->run];
	int code = exit_code_of(status), fd;
	double wall_s = since_s(&s->started);

	rn->last_code = code;
	fd = folder_lock(rn->o->dir);
	folder_hand_over(&s->claim, code);
	s->pid = 0;
	rn->running--;
	rn->ended_here++;
	rn->ended_wall_s += wall_s;
	if (fd >= 0) {
		folder_write(rn->o->dir, rn->sw, &rn->info, rn->st, rn->counts);
		folder_unlock(fd);
	}
	if (run_state_done(rn->st[s->run].state) && rn->tty)
		return;
	line_clear(rn);
	/* Failures are worth a line even on a terminal (and with -q). */
	log_printf(run_state_done(rn->st[s->run].state) ? 1 : 0,
		   "sweep: end %s: %s (exit %d) in %.1f s%s%s", run->run_id,
		   run_state_name(rn->st[s->run].state), code, wall_s,
		   run_state_done(rn->st[s->run].state) ? "" : "; see ",
		   run_state_done(rn->st[s->run].state) ? "" : s->claim.final);
}

/* Passes each new signal on to the runs; they stop and mark themselves interrupted. */
static void forward_signals(struct runner *rn)
{
	if (rn->forwarded == sweep_signals)
		return;
	rn->forwarded = sweep_signals;
	line_clear(rn);
	log_info("sweep: %s: stopping %d run(s); no new run starts", strsignal(sweep_signal),
		 rn->running);
	for (int k = 0; k < rn->o->jobs; k++)
		if (rn->slots[k].pid)
			kill(rn->slots[k].pid, sweep_signal);
}

/* Runs the runs of `todo` (indices into sw->runs, in the order to run them), -j at once,
 * until they are done or a signal comes. */
static void run_all(struct runner *rn, const int *todo, int ntodo)
{
	int next = 0, tick = 0;

	clock_gettime(CLOCK_MONOTONIC, &rn->t0);
	while (next < ntodo || rn->running) {
		int status;
		pid_t pid;

		while (!sweep_signals && rn->running < rn->o->jobs && next < ntodo) {
			if (start_run(rn, todo[next++]) < 0) {
				/* The folder cannot take more runs (a full disk, say). */
				sweep_signals = sweep_signals ?: 1;
				sweep_signal = sweep_signal ?: SIGTERM;
				rn->info.interrupted = true;
			}
			progress(rn);
		}
		if (sweep_signals) {
			rn->info.interrupted = true;
			forward_signals(rn);
			next = ntodo;
		}
		if (!rn->running)
			break;
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			for (int k = 0; k < rn->o->jobs; k++)
				if (rn->slots[k].pid == pid)
					end_run(rn, &rn->slots[k], status);
			progress(rn);
			continue;
		}
		/* A signal cuts the sleep short. */
		nanosleep(&(struct timespec){0, SWEEP_TICK_MS * 1000000L}, NULL);
		if (++tick % (1000 / SWEEP_TICK_MS) == 0)
			progress(rn);
	}
	line_clear(rn);
}

static int runner_init(struct runner *rn, const struct sweep_opts *o, const struct sweep *sw)
{
	memset(rn, 0, sizeof(*rn));
	rn->o = o;
	rn->sw = sw;
	rn->st = calloc(sw->nruns, sizeof(*rn->st));
	rn->slots = calloc(o->jobs, sizeof(*rn->slots));
	rn->tty = isatty(2);
	rn->info.config_path = o->config_abs;
	rn->retry_failed = o->retry_failed;
	return rn->st && rn->slots ? 0 : -ENOMEM;
}

static void runner_free(struct runner *rn)
{
	free(rn->st);
	free(rn->slots);
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	/* No SA_RESTART: a signal wakes the loop at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int sweep_exit_code(const struct runner *rn)
{
	const int *c = rn->counts;

	if (rn->info.interrupted)
		return CCX_EXIT_FAILURE;
	if (c[RS_COMPLETE] == rn->sw->nruns)
		return CCX_EXIT_OK;
	if (c[RS_COMPLETE] + c[RS_CHARTS_FAILED] == rn->sw->nruns)
		return CCX_EXIT_CHARTS;
	return CCX_EXIT_FAILURE;
}

static void print_summary(const struct runner *rn)
{
	bool first = true;

	printf("sweep: %s: %d runs:", rn->o->dir, rn->sw->nruns);
	for (int s = 0; s < RS_COUNT; s++) {
		if (!rn->counts[s])
			continue;
		printf("%s %d %s", first ? "" : ",", rn->counts[s], run_state_name(s));
		first = false;
	}
	printf(" (%d run now%s)\n", rn->ended_here, rn->info.interrupted ? ", interrupted" : "");
	if (rn->counts[RS_FAILED] && !rn->o->retry_failed)
		printf("sweep: `--retry-failed` runs the failed ones again\n");
	printf("points: %s/points.csv\n", rn->o->dir);
}

int sweep_run(const struct sweep_opts *o, const struct sweep *sw)
{
	struct runner rn = {0};
	int *order = calloc(sw->nruns, sizeof(*order)), ntodo = 0, code = CCX_EXIT_FAILURE, fd;

	if (!order || runner_init(&rn, o, sw) < 0)
		goto out;
	catch_signals();
	if (folder_prepare(o->dir, sw, true) < 0)
		goto out;
	rn.info.order = o->shuffled ? "shuffled" : "given";
	rn.info.active = true;
	fd = folder_lock(o->dir);
	if (fd < 0)
		goto out;
	folder_write(o->dir, sw, &rn.info, rn.st, rn.counts);
	folder_unlock(fd);
	sweep_order(order, sw->nruns, o->shuffled, sw->seed);
	for (int i = 0; i < sw->nruns; i++)
		if (run_state_todo(rn.st[order[i]].state, o->retry_failed))
			order[ntodo++] = order[i];
	rn.todo = ntodo;
	log_info("sweep: %s: %d runs, %d done, %d to run (-j %d, order %s)", o->dir, sw->nruns,
		 done_count(&rn), ntodo, o->jobs, rn.info.order);
	run_all(&rn, order, ntodo);
	rn.info.active = false;
	if (write_state(&rn) < 0)
		goto out;
	print_summary(&rn);
	code = sweep_exit_code(&rn);
out:
	runner_free(&rn);
	free(order);
	return code;
}

/* The run --point names: its index in the given order, or its run id. */
static int find_point(const struct sweep *sw, const char *point)
{
	char *end;
	long v = strtol(point, &end, 10);

	if (end != point && !*end)
		return v >= 0 && v < sw->nruns ? (int)v : -1;
	for (int i = 0; i < sw->nruns; i++)
		if (!strcmp(sw->runs[i].run_id, point))
			return i;
	return -1;
}

int sweep_point(const struct sweep_opts *o, const struct sweep *sw)
{
	char order[16];
	struct runner rn = {0};
	int i = find_point(sw, o->point), fd, code = CCX_EXIT_FAILURE;

	if (i < 0) {
		fprintf(stderr,
			"ccexp sweep: --point %s: no such run in %s (%d runs: index 0 to %d, "
			"or a run id of --list)\n",
			o->point, o->config, sw->nruns, sw->nruns - 1);
		return CCX_EXIT_USAGE;
	}
	if (runner_init(&rn, o, sw) < 0)
		goto out;
	catch_signals();
	if (folder_prepare(o->dir, sw, false) < 0)
		goto out;
	/* A scheduler's run keeps the order a sweep of this folder recorded. */
	if (!folder_recorded_order(o->dir, order, sizeof(order)))
		snprintf(order, sizeof(order), "given");
	rn.info.order = order;
	fd = folder_lock(o->dir);
	if (fd < 0)
		goto out;
	folder_run_status(o->dir, &sw->runs[i], &rn.st[i]);
	folder_unlock(fd);
	if (run_state_done(rn.st[i].state)) {
		log_info("sweep: %s is done already (%s)", sw->runs[i].run_id,
			 run_state_name(rn.st[i].state));
		write_state(&rn);
		code = rn.st[i].state == RS_COMPLETE ? CCX_EXIT_OK : CCX_EXIT_CHARTS;
		goto out;
	}
	if (rn.st[i].state == RS_RUNNING) {
		log_err("sweep: %s is running in another process", sw->runs[i].run_id);
		goto out;
	}
	rn.todo = 1;
	rn.last_code = -1;
	/* A failed run is retried: a scheduler that reruns a task means it. */
	rn.retry_failed = true;
	run_all(&rn, &i, 1);
	write_state(&rn);
	code = rn.last_code < 0			? CCX_EXIT_FAILURE
	       : rn.last_code > CCX_EXIT_CHARTS ? CCX_EXIT_FAILURE
						: rn.last_code;
out:
	runner_free(&rn);
	return code;
}
