/* `ccexp sweep`: runs the set of runs a config describes (repeats and a sweep), each as a child
 * `ccexp run`, resumably, or lists them and hands them to a scheduler one at a time. */
#include "commands.h"
#include "core/config.h"
#include "core/log.h"
#include "core/path.h"
#include "core/sweep.h"
#include "kernel/cc.h"
#include "link/link_spec.h"
#include "sweep/folder.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_JOBS_MAX	   64
#define SWEEP_SETUP_S	   3.0 /* what a run costs beyond duration_s: namespaces, link, charts */
#define SWEEP_TICK_MS	   200 /* how often the progress line and the children are looked at */
#define SWEEP_KNOWN_CC_LEN 1024

static volatile sig_atomic_t sweep_signal, sweep_signals;

static void on_signal(int sig)
{
	sweep_signal = sig;
	sweep_signals++;
}

static void sweep_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp sweep [-o DIR] [-j N] [--order given|shuffled] [--retry-failed]\n"
	    "                   [--force] [--dry-run] CONFIG\n"
	    "       ccexp sweep --list CONFIG\n"
	    "       ccexp sweep --point INDEX|RUN_ID [-o DIR] CONFIG\n"
	    "       ccexp sweep --emit slurm|parallel [-o DIR] [-j N] CONFIG\n"
	    "\n"
	    "Runs every run of CONFIG: each point of its `sweep` list (the cartesian product of\n"
	    "its entries, zipped entries varying together), `experiment.repeat` times each, as\n"
	    "one `ccexp run` per run (docs/sweep.md). Every run's config is checked before the\n"
	    "first one starts. Rerunning the same command resumes: runs that are complete (or\n"
	    "charts_failed) are skipped; missing, interrupted, killed and unfinished ones run.\n"
	    "The sweep folder holds sweep.json, sweep.cfg, points.csv (one row per run, with\n"
	    "its parameters and status) and runs/<run_id>/, one ordinary results folder each.\n"
	    "\n"
	    "  -o, --output DIR      the sweep folder (default\n"
	    "                        results/<name>/sweep-<CONFIG's name without .cfg>)\n"
	    "  -j, --jobs N          N runs at once (default 1; on a small machine concurrent\n"
	    "                        emulated links disturb each other's timing)\n"
	    "      --order ORDER     shuffled (default: seeded by experiment.seed, recorded in\n"
	    "                        sweep.json) or given (index order)\n"
	    "      --retry-failed    run the failed runs again too\n"
	    "      --force           allow more than %d runs\n"
	    "      --dry-run         print the runs, how many are done and the expected wall\n"
	    "                        time; create nothing\n"
	    "      --list            print the runs as TSV (index, point_id, repeat, seed, one\n"
	    "                        column per swept setting); create nothing\n"
	    "      --point RUN       run only RUN (its index in --list, or its run id) into\n"
	    "                        the sweep folder, for a job array; exit code is the run's\n"
	    "      --emit KIND       print a Slurm job array script (slurm) or a GNU parallel\n"
	    "                        command line (parallel) that runs every --point\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "Exit status:\n"
	    "  0  every run is complete\n"
	    "  1  a run failed, was interrupted or is missing, or the sweep was interrupted\n"
	    "  2  bad command line or config: nothing is created then\n"
	    "  3  every run is done, some with status charts_failed\n"
	    "\n"
	    "EXAMPLES\n"
	    "  ccexp sweep --dry-run configs/examples/sweep.cfg\n"
	    "  ccexp sweep -j 2 configs/examples/sweep.cfg\n"
	    "  ccexp sweep --retry-failed configs/examples/sweep.cfg\n"
	    "  ccexp sweep --list configs/examples/sweep.cfg\n"
	    "  ccexp sweep --point 3 -o /shared/sweep1 configs/examples/sweep.cfg\n"
	    "  ccexp sweep --emit slurm -j 8 -o /shared/sweep1 configs/examples/sweep.cfg\n",
	    SWEEP_RUNS_LIMIT);
}

enum mode { MODE_RUN, MODE_DRY_RUN, MODE_LIST, MODE_POINT, MODE_EMIT };

struct opts {
	enum mode mode;
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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ccexp sweep: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	sweep_usage(stderr);
	return CCX_EXIT_USAGE;
}

static int set_mode(struct opts *o, enum mode m, const char *opt)
{
	if (o->mode != MODE_RUN && o->mode != m)
		return usage_error("%s goes with none of --dry-run, --list, --point, --emit", opt);
	o->mode = m;
	return -1;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_ORDER = 256, O_RETRY, O_FORCE, O_DRY, O_LIST, O_POINT, O_EMIT };
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"order", required_argument, NULL, O_ORDER},
	    {"retry-failed", no_argument, NULL, O_RETRY},
	    {"force", no_argument, NULL, O_FORCE},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"list", no_argument, NULL, O_LIST},
	    {"point", required_argument, NULL, O_POINT},
	    {"emit", required_argument, NULL, O_EMIT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int opt, code = -1;
	long v;

	o->jobs = 1;
	o->shuffled = true;
	optind = 1;
	opterr = 0;
	while (code < 0 && (opt = getopt_long(argc, argv, "o:j:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o->out = optarg;
			break;
		case 'j':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || v > SWEEP_JOBS_MAX)
				return usage_error("-j %s: a number of runs at once, 1 to "
						   "64",
						   optarg);
			o->jobs = (int)v;
			break;
		case O_ORDER:
			if (strcmp(optarg, "given") && strcmp(optarg, "shuffled"))
				return usage_error("--order %s: given or shuffled", optarg);
			o->shuffled = !strcmp(optarg, "shuffled");
			break;
		case O_RETRY:
			o->retry_failed = true;
			break;
		case O_FORCE:
			o->force = true;
			break;
		case O_DRY:
			code = set_mode(o, MODE_DRY_RUN, "--dry-run");
			break;
		case O_LIST:
			code = set_mode(o, MODE_LIST, "--list");
			break;
		case O_POINT:
			o->point = optarg;
			code = set_mode(o, MODE_POINT, "--point");
			break;
		case O_EMIT:
			if (strcmp(optarg, "slurm") && strcmp(optarg, "parallel"))
				return usage_error("--emit %s: slurm or parallel", optarg);
			o->emit = optarg;
			code = set_mode(o, MODE_EMIT, "--emit");
			break;
		case 'h':
			sweep_usage(stdout);
			return CCX_EXIT_OK;
		default:
			return usage_error("unknown option or missing value: '%s'",
					   argv[optind - 1]);
		}
	}
	if (code >= 0)
		return code;
	if (optind != argc - 1)
		return usage_error("%s",
				   optind >= argc ? "missing CONFIG" : "more than one CONFIG");
	o->config = argv[optind];
	return -1;
}

/* What `ccexp run` checks before it runs a config: a bad value fails the sweep before any
 * run, with the run's point named by sweep_load. */
static int check_run_config(const char *path, char *err, size_t errlen, void *arg)
{
	struct experiment *exp = calloc(1, sizeof(*exp));
	int r;

	if (!exp)
		return -ENOMEM;
	r = config_load(path, arg, exp, err, errlen);
	if (!r)
		r = link_spec_check(exp, err, errlen);
	free(exp);
	return r;
}

static int load(struct opts *o, struct sweep *sw)
{
	char known_cc[SWEEP_KNOWN_CC_LEN], err[2048], base[NAME_MAX + 1];
	const char *slash;
	size_t n;
	int r;

	if (cc_known_list(known_cc, sizeof(known_cc)) == -ENOSPC)
		log_err("the list of congestion controls is longer than %zu bytes: some are left "
			"out",
			sizeof(known_cc));
	r = sweep_load(o->config, known_cc, check_run_config, known_cc, o->force, sw, err,
		       sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return CCX_EXIT_USAGE;
	}
	if (!realpath(o->config, o->config_abs))
		snprintf(o->config_abs, sizeof(o->config_abs), "%s", o->config);
	if (o->out) {
		r = path_fmt(o->dir, sizeof(o->dir), "%s", o->out);
	} else {
		slash = strrchr(o->config, '/');
		snprintf(base, sizeof(base), "%s", slash ? slash + 1 : o->config);
		n = strlen(base);
		if (n > 4 && !strcmp(base + n - 4, ".cfg"))
			base[n - 4] = '\0';
		r = path_fmt(o->dir, sizeof(o->dir), "results/%s/sweep-%s", sw->name, base);
	}
	if (r == 0)
		r = folder_check_path(o->dir);
	if (r < 0) {
		fprintf(stderr,
			"ccexp sweep: %.60s...: a sweep folder path too long for its runs "
			"(PATH_MAX is %d)\n",
			o->out ? o->out : o->dir, PATH_MAX);
		return CCX_EXIT_USAGE;
	}
	if (readlink("/proc/self/exe", o->self, sizeof(o->self) - 1) < 0)
		snprintf(o->self, sizeof(o->self), "ccexp");
	return -1;
}

static void print_list(const struct sweep *sw)
{
	printf("index\tpoint_id\trepeat\tseed");
	for (int p = 0; p < sw->nparams; p++)
		printf("\t%s", sw->params[p].path);
	printf("\n");
	for (int i = 0; i < sw->nruns; i++) {
		const struct sweep_run *run = &sw->runs[i];

		printf("%d\t%s\t%d\t%lu", run->index, run->point_id, run->repeat, run->seed);
		for (int p = 0; p < sw->nparams; p++)
			printf("\t%s", run->values[p]);
		printf("\n");
	}
}

/* The run's duration: experiment.duration_s, unless the sweep sets it. */
static double run_duration_s(const struct sweep *sw, const struct sweep_run *run)
{
	for (int p = 0; p < sw->nparams; p++)
		if (!strcmp(sw->params[p].path, "experiment.duration_s"))
			return atof(run->values[p]);
	return sw->duration_s;
}

static void fmt_duration(char *buf, size_t len, double s)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%lds", t);
}

static int dry_run(const struct opts *o, const struct sweep *sw)
{
	struct run_status *st = calloc(sw->nruns, sizeof(*st));
	int counts[RS_COUNT], todo = 0;
	double work_s = 0;
	char wall[32];

	if (!st)
		return CCX_EXIT_FAILURE;
	print_list(sw);
	folder_count(o->dir, sw, st, counts);
	for (int i = 0; i < sw->nruns; i++) {
		if (!run_state_todo(st[i].state, o->retry_failed))
			continue;
		todo++;
		work_s += run_duration_s(sw, &sw->runs[i]) + SWEEP_SETUP_S;
	}
	fmt_duration(wall, sizeof(wall), work_s / o->jobs);
	printf("\n%d runs (%d points x %d repeats) in %s\n", sw->nruns, sw->npoints, sw->repeat,
	       o->dir);
	printf("%d done (complete or charts_failed), %d failed%s, %d to run\n",
	       counts[RS_COMPLETE] + counts[RS_CHARTS_FAILED], counts[RS_FAILED],
	       o->retry_failed ? " (run again: --retry-failed)" : "", todo);
	printf("expected wall time: %s (%d runs x (duration_s + %.0f s setup) / -j %d)\n", wall,
	       todo, SWEEP_SETUP_S, o->jobs);
	free(st);
	return CCX_EXIT_OK;
}

/* `s` for a POSIX shell: as it is when it holds only safe characters, else single-quoted. */
static const char *sh_quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			      "_-./=+:,@%") == strlen(s))
		return s;
	buf[n++] = '\'';
	for (; *s && n + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

static int emit(const struct opts *o, const struct sweep *sw)
{
	char dir[PATH_MAX], cwd[PATH_MAX], b1[2 * PATH_MAX], b2[2 * PATH_MAX], b3[2 * PATH_MAX];
	char b4[2 * PATH_MAX], more[PATH_MAX + 32];
	const char *force = o->force ? " --force" : "", *self, *qdir, *config;

	if (o->dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(dir, sizeof(dir), "%s", o->dir);
	else if (path_fmt(dir, sizeof(dir), "%s/%s", cwd, o->dir) < 0)
		return usage_error("%s: too long once made absolute", o->dir);
	self = sh_quote(o->self, b1, sizeof(b1));
	qdir = sh_quote(dir, b2, sizeof(b2));
	config = sh_quote(o->config_abs, b3, sizeof(b3));
	if (!strcmp(o->emit, "slurm")) {
		snprintf(more, sizeof(more), "%s/slurm", dir);
		printf("#!/bin/sh\n"
		       "# %d runs of %s, one array task each (ccexp sweep --point).\n"
		       "# Before sbatch: mkdir -p %s (on storage every node sees).\n"
		       "#SBATCH --job-name=ccexp-%s\n"
		       "#SBATCH --array=0-%d%%%d\n"
		       "#SBATCH --output=%s/%%A_%%a.out\n"
		       "exec %s sweep%s --point \"$SLURM_ARRAY_TASK_ID\" -o %s %s\n",
		       sw->nruns, o->config_abs, sh_quote(more, b4, sizeof(b4)), sw->name,
		       sw->nruns - 1, o->jobs, more, self, force, qdir, config);
	} else {
		snprintf(more, sizeof(more), "%s/parallel.joblog", dir);
		printf("mkdir -p %s && seq 0 %d | parallel -j %d --joblog %s --resume %s sweep%s "
		       "--point {} -o %s %s\n",
		       qdir, sw->nruns - 1, o->jobs, sh_quote(more, b4, sizeof(b4)), self, force,
		       qdir, config);
	}
	return CCX_EXIT_OK;
}

/* ---- running ------------------------------------------------------------------------- */

struct slot {
	pid_t pid; /* 0: free */
	int run;   /* index into sw->runs */
	struct run_claim claim;
	struct timespec started;
};

struct runner {
	const struct opts *o;
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
	fmt_duration(el, sizeof(el), since_s(&rn->t0));
	fmt_duration(eta, sizeof(eta), left > 0 ? left * per_run_s / rn->o->jobs : 0);
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

static pid_t spawn(const struct opts *o, struct run_claim *c)
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

static int runner_init(struct runner *rn, const struct opts *o, const struct sweep *sw)
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

static int sweep_run(const struct opts *o, const struct sweep *sw)
{
	struct runner rn;
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
	if (rn.st)
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

static int sweep_point(const struct opts *o, const struct sweep *sw)
{
	char order[16];
	struct runner rn;
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

int cmd_sweep(int argc, char **argv)
{
	struct opts *o = calloc(1, sizeof(*o));
	struct sweep sw;
	int code;

	memset(&sw, 0, sizeof(sw));
	if (!o)
		return CCX_EXIT_FAILURE;
	code = parse_args(o, argc, argv);
	if (code < 0)
		code = load(o, &sw);
	if (code >= 0)
		goto out;
	switch (o->mode) {
	case MODE_LIST:
		print_list(&sw);
		code = CCX_EXIT_OK;
		break;
	case MODE_DRY_RUN:
		code = dry_run(o, &sw);
		break;
	case MODE_EMIT:
		code = emit(o, &sw);
		break;
	case MODE_POINT:
		code = sweep_point(o, &sw);
		break;
	case MODE_RUN:
		code = sweep_run(o, &sw);
		break;
	}
out:
	sweep_free(&sw);
	free(o);
	return code;
}
