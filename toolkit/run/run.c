/* `ccexp run`: config -> topology -> sockops on the run's cgroup -> flows -> CSV -> charts,
 * and `ccexp plot`, which redraws the charts of a results folder. */
#include "kernel/cc.h"
#include "kernel/kernel.h"
#include "kernel/collect.h"
#include "commands.h"
#include "core/config.h"
#include "link/link.h"
#include "core/log.h"
#include "analysis/plot.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "run/results.h"
#include "kernel/sys.h"
#include "core/path.h"
#include "core/json.h"
#include "kernel/topology.h"
#include "run/hosts.h"
#include "run/flows.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define RUN_STOP_GRACE_MS 3000 /* SIGTERM to SIGKILL for the flow processes */
#define RUN_OVERTIME_S	  30.0 /* past duration_s, a run that has not ended is stopped */
#define RUN_CLOSE_WAIT_MS 2000 /* wait for the last CLOSE events after the flows exit */

static volatile sig_atomic_t run_signal;

static void on_signal(int sig)
{
	run_signal = sig;
}

static void run_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp run [-o DIR] CONFIG\n"
	    "\n"
	    "Runs the experiment CONFIG describes (libconfig; see docs/config.md) between two\n"
	    "network namespaces joined through an emulated bottleneck, and writes its results\n"
	    "folder: config.cfg, meta.json, flows.csv, events/*.csv, timeline/*.csv, plots/.\n"
	    "\n"
	    "  -o, --output DIR   results folder (default results/<name>/<run-id>); must not\n"
	    "                     exist or be empty, and must leave room under PATH_MAX for\n"
	    "                     the files a run writes in it\n"
	    "  -h, --help         this text\n"
	    "\n"
	    "Exit status (meta.json's \"status\" says the same; docs/csv-format.md):\n"
	    "  0  complete: the experiment ran and every chart was drawn\n"
	    "  1  failed (meta.json's \"error\" says why: a step, a write, a flow whose program\n"
	    "     failed or whose connection never completed), or interrupted by a signal\n"
	    "  2  bad command line, config or output folder (nothing is created then)\n"
	    "  3  charts_failed: the data are complete, but some charts were not drawn\n"
	    "     (meta.json's \"charts\".\"failed\" says why; `ccexp plot DIR` retries)\n"
	    "\n"
	    "EXAMPLES\n"
	    "  ccexp run configs/examples/quickstart.cfg\n"
	    "  ccexp run -o /tmp/q1 configs/examples/quickstart.cfg\n");
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT ? 1 : -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* The per-connection lines of flows.csv, as the run's last words on stdout. */
static void print_summary(const char *outdir)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (path_fmt(path, sizeof(path), "%s/flows.csv", outdir) < 0 || !(f = fopen(path, "re")))
		return;
	/* flow,conn,cc,client_port,server_port,start_s,end_s,bytes,goodput_mbit,retrans */
	while (fgets(line, sizeof(line), f)) {
		char *fld[10], *save = NULL, *p = line;
		int n = 0;

		/* The verdict, the last column, is written without commas (core/diagnosis.h). */
		char *verdict = strrchr(line, ',');

		if (!strncmp(line, "flow,", 5))
			continue;
		if (verdict)
			*verdict++ = '\0';
		for (char *tok; n < 10 && (tok = strtok_r(p, ",\n", &save)); p = NULL)
			fld[n++] = tok;
		if (n == 10)
			printf("  flow %-10s conn %s  %-8s %9s Mbit/s %7s retrans\n", fld[0],
			       fld[1], fld[2], fld[8], fld[9]);
		if (n == 10 && verdict && verdict[0] && verdict[0] != '\n')
			printf("    why: %.*s\n", (int)strcspn(verdict, "\n"), verdict);
	}
	fclose(f);
}

/* A run's state, from the command line to the summary: each step below fills its part, and
 * run_finish releases whatever exists, in reverse order, whichever step stopped the run. */
struct run {
	const char *out_opt;
	struct experiment *exp;
	char id[CCX_RUN_ID_LEN + 1];
	char outdir[PATH_MAX];
	char spare[PATH_MAX]; /* outdir/.meta.json.spare, "" when there is none */
	struct run_info info;
	struct topology topo;
	struct link_runtime lr;
	bool have_topo, have_link, have_col, have_tr;
	struct collector col;
	struct cc_registration regs[CCX_CC_VEGAS + 1];
	bool registered[CCX_CC_VEGAS + 1];
	struct traffic tr;
	struct plot_report charts;
	/* CLOCK_MONOTONIC: ccexp run began, the flows were over, the charts began and ended
	 * (meta.json's "overhead_s") */
	uint64_t start_ns, flows_end_ns, charts_start_ns, charts_end_ns;
	/* ccexp's own CPU time (user, system; us) when the flows started and ended: what
	 * draining the ring buffer into CSV costs the machine the flows run on */
	int64_t cpu_start_us[2], cpu_end_us[2];
	bool failed;	/* a step or a write failed for its own reasons (not a signal) */
	bool finishing; /* in run_finish: a failure now is a failure, signal or not */
	char error[1024];
};

/* A step failed: the run failed, unless a signal came first, which makes it an interruption
 * (a wait cut short by SIGINT is not the step's fault). r < 0 adds strerror. */
static void run_fail(struct run *run, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void run_fail(struct run *run, int r, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (run_signal && !run->failed && !run->finishing) {
		log_err("%s: the run was interrupted (%s%s%s)", strsignal(run_signal), what,
			r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		return;
	}
	if (run->failed) {
		/* The first failure is the run's error; the later ones are on stderr. */
		log_err("also: %s%s%s", what, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		return;
	}
	run->failed = true;
	snprintf(run->error, sizeof(run->error), "%s%s%s", what, r < 0 ? ": " : "",
		 r < 0 ? strerror(-r) : "");
	log_err("%s", run->error);
}

static int parse_args(struct run *run, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			run->out_opt = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return CCX_EXIT_OK;
		default:
			run_usage(stderr);
			return CCX_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ccexp run: %s\n",
			optind >= argc ? "missing CONFIG" : "more than one CONFIG");
		run_usage(stderr);
		return CCX_EXIT_USAGE;
	}
	run->info.config_path = argv[optind];
	return -1;
}

/* The longest names a run writes under its folder; an apps/ file is checked per cmd flow. */
static const char *const run_files[] = {
    "config.cfg",
    ".meta.json.XXXXXX",
    RUN_META_SPARE,
    "flows.csv",
    "timeline/throughput.csv",
    "timeline/cwnd.csv",
    "timeline/link.csv",
    "timeline/vegas.csv",
    "events/link_drops.csv",
    "events/handshake.csv",
    "events/ca_state.csv",
    "plots/throughput.gp.tmp",
    "plots/throughput.png",
};

/* The results folder's name, and room under it for every file of the run: a name cut by
 * PATH_MAX or NAME_MAX would write somewhere else, so it is refused before anything exists. */
static int check_outdir(struct run *run, char *err, size_t len)
{
	const char *dir = run->outdir, *p = dir;
	char path[PATH_MAX];

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n > NAME_MAX) {
			snprintf(err, len, "%.40s...: a folder name of %zu characters (at most %d)",
				 p, n, NAME_MAX);
			return -ENAMETOOLONG;
		}
		p += n;
		p += *p == '/';
	}
	for (size_t i = 0; i < sizeof(run_files) / sizeof(run_files[0]); i++) {
		if (path_fmt(path, sizeof(path), "%s/%s", dir, run_files[i]) < 0)
			goto too_long;
	}
	for (int i = 0; i < run->exp->nflows; i++) {
		if (run->exp->flows[i].cmd[0] &&
		    path_fmt(path, sizeof(path), "%s/apps/%s.server.err", dir,
			     run->exp->flows[i].name) < 0)
			goto too_long;
	}
	return 0;
too_long:
	snprintf(err, len,
		 "a path of %zu characters leaves no room for the files a run writes under it "
		 "(PATH_MAX is %d)",
		 strlen(dir), PATH_MAX);
	return -ENAMETOOLONG;
}

/* Everything is validated before the kernel is touched: exit 2 leaves nothing behind. */
static int validate(struct run *run)
{
	char known_cc[1024], err[1024];
	int r;

	/* Kernel names (also as name@kernel) and the bundled ones (also as name@bpf); which
	 * implementation a flow gets is cc_resolve()'s answer. */
	r = cc_known_list(known_cc, sizeof(known_cc));
	if (r == -ENOSPC)
		log_err("the list of congestion controls is longer than %zu bytes: some are left "
			"out",
			sizeof(known_cc));
	run->exp = calloc(1, sizeof(*run->exp));
	if (!run->exp)
		return CCX_EXIT_FAILURE;
	r = config_load(run->info.config_path, known_cc, run->exp, err, sizeof(err));
	if (!r)
		r = link_spec_check(run->exp, err, sizeof(err));
	/* One run, one folder: a set of runs has its own command, folder and points.csv. */
	if (!r && (run->exp->has_sweep || run->exp->repeat > 1))
		r = config_err_at(run->exp, run->exp->set_at,
				  run->exp->has_sweep ? "sweep" : "experiment.repeat", err,
				  sizeof(err),
				  "this config describes a set of runs: run it with `ccexp sweep %s`",
				  run->info.config_path);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return CCX_EXIT_USAGE;
	}
	topology_new_id(run->id, sizeof(run->id));
	run->info.run_id = run->id;
	run->info.start_wall = time(NULL);
	if (run->out_opt) {
		r = path_fmt(run->outdir, sizeof(run->outdir), "%s", run->out_opt);
	} else {
		char stamp[32];
		struct tm tm;

		localtime_r(&run->info.start_wall, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		r = path_fmt(run->outdir, sizeof(run->outdir), "results/%s/%s-%s", run->exp->name,
			     stamp, run->id);
	}
	if (r == 0)
		r = check_outdir(run, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "a path of %zu characters (PATH_MAX is %d)",
			 strlen(run->out_opt ? run->out_opt : run->outdir), PATH_MAX);
	if (r < 0) {
		fprintf(stderr, "ccexp run: -o %.60s%s: %s\n", run->outdir,
			strlen(run->outdir) > 60 ? "..." : "", err);
		return CCX_EXIT_USAGE;
	}
	run->info.outdir = run->outdir;
	if (run->out_opt) {
		r = dir_is_empty(run->out_opt);
		if (r <= 0) {
			fprintf(stderr, "ccexp run: %s: %s\n", run->out_opt,
				r == 0 ? "exists and is not empty" : strerror(-r));
			return CCX_EXIT_USAGE;
		}
	}
	return -1;
}

/* What this machine must give the run, still before anything is made. */
static int prepare(struct run *run)
{
	char err[1024];
	int r;

	if (geteuid() != 0) {
		log_err(
		    "ccexp run needs root (namespaces, BPF, cgroups); `ccexp check` tells more");
		return CCX_EXIT_FAILURE;
	}
	r = link_choose(&run->lr, &run->exp->link, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return CCX_EXIT_FAILURE;
	}
	r = kernel_hz(&run->info.hz, &run->info.hz_source);
	if (r < 0) {
		log_err_errno(r, "find the kernel's HZ (needed to convert syn_rto_ms to jiffies)");
		return CCX_EXIT_FAILURE;
	}
	return -1;
}

static int make_folder(struct run *run)
{
	char path[PATH_MAX];
	int r;

	r = sys_mkdir_p(run->outdir, 0755);
	if (r < 0)
		return log_err_errno(r, "create %s", run->outdir);
	r = topology_claim(&run->topo, run->id, run->outdir);
	if (r < 0)
		return r;
	run->have_topo = true;
	/* check_outdir() made sure these fit. */
	path_fmt(path, sizeof(path), "%s/config.cfg", run->outdir);
	/* The config as it was read, its @includes resolved, so the copy runs the same. */
	r = config_save(run->exp, run->info.config_path, path);
	if (r < 0)
		return log_err_errno(r, "save the config to %s", path);
	/* Room for the final meta.json: a disk that fills during the run still takes the
	 * document that says so, once this space is given back. */
	r = results_spare_keep(run->outdir, run->spare, sizeof(run->spare));
	if (r < 0)
		return log_err_errno(r, "keep %d KB for meta.json in %s",
				     RESULTS_META_SPARE_BYTES / 1024, run->outdir);
	run->info.status = "running";
	run->info.topo = &run->topo;
	return results_write_meta(&run->info, run->exp, NULL, NULL);
}

/* Resolves each flow's cc (the kernel's, or a bundled BPF one registered for this run under
 * a unique name sharing the sockops program's maps) and tells the sockops program. */
static int choose_ccs(struct run *run)
{
	const struct experiment *exp = run->exp;
	char avail[1024];
	int fds[CC_MAP_MAX], r;

	if (sys_read_file(TCP_CC_AVAILABLE_PATH, avail, sizeof(avail)) < 0)
		avail[0] = '\0';
	collect_shared_fds(&run->col, fds);
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];
		struct cc_choice ch;
		const char *name;
		char why[256];

		r = cc_resolve(fs->cc, avail, &ch, why, sizeof(why));
		if (r < 0) {
			run_fail(run, 0, "flow %s: %s", fs->name, why);
			return r;
		}
		name = ch.name;
		if (ch.impl == CC_IMPL_BPF) {
			if (!run->registered[ch.algo]) {
				r = cc_register(&run->regs[ch.algo], ch.algo, run->id, fds, why,
						sizeof(why));
				if (r < 0) {
					run_fail(run, 0, "flow %s: %s", fs->name, why);
					return r;
				}
				run->registered[ch.algo] = true;
			}
			name = run->regs[ch.algo].name;
		}
		r = collect_set_flow_cc(&run->col, i, name);
		if (r < 0) {
			run_fail(run, r, "flow %s: could not set its congestion control", fs->name);
			return r;
		}
		run->info.cc_impl[i] = ch.impl == CC_IMPL_BPF ? "bpf" : "kernel";
		snprintf(run->info.cc_name[i], sizeof(run->info.cc_name[i]), "%s", name);
	}
	return 0;
}

/* Namespaces, the link, the sockops program and the congestion controls. */
static int build(struct run *run)
{
	char why[512];
	int r;

	log_info("run %s: %s, %.1f s, %d flow(s)", run->id, run->exp->name, run->exp->duration_s,
		 run->exp->nflows);
	run->info.link = &run->lr;
	r = topology_create(&run->topo, link_topology_kind(&run->lr));
	if (r < 0) {
		run_fail(run, r, "could not build the network namespaces");
		return r;
	}
	run->have_link = true;
	r = hosts_apply(run->exp, &run->topo, why, sizeof(why));
	if (r < 0) {
		run_fail(run, r, "%s", why);
		return r;
	}
	r = link_setup(&run->lr, run->exp, &run->topo, run->outdir);
	if (r < 0) {
		run_fail(run, r, "could not set up the %s link",
			 link_backend_name(run->lr.backend));
		return r;
	}
	r = collect_open(&run->col, run->exp, run->info.hz, run->topo.cgroup, run->outdir);
	if (r < 0) {
		run_fail(run, r, "could not load or attach the sockops program");
		return r;
	}
	run->have_col = true;
	return choose_ccs(run);
}

/* This process's CPU time so far: [0] user, [1] system, in us. */
static void self_cpu_us(int64_t out[2])
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0) {
		out[0] = out[1] = 0;
		return;
	}
	out[0] = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	out[1] = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

/* A connection the built-in sender gave up draining (ETIMEDOUT): it left the socket to the
 * kernel, which may take minutes more, so neither side's CLOSE is worth waiting for. */
static bool sender_gave_up(const struct traffic *tr, const struct conn_track *ct)
{
	for (int i = 0; i < tr->nconns; i++)
		if (tr->snd[i].flow_id == ct->flow_id && tr->snd[i].client_port == ct->client_port)
			return tr->snd[i].error == ETIMEDOUT;
	return false;
}

/* Whether a CLOSE may still come that the results need. */
static bool closes_pending(const struct run *run)
{
	for (int i = 0; i < run->col.nconns; i++) {
		const struct conn_track *ct = &run->col.conns[i];

		if ((!ct->closed[0] || !ct->closed[1]) && !sender_gave_up(&run->tr, ct))
			return true;
	}
	return false;
}

/* Starts the flows and follows them until they end, a signal comes, or they overrun. */
static int run_flows(struct run *run)
{
	double last_stop_s = 0;
	uint64_t deadline;
	int r;

	if (run_signal)
		return -EINTR;
	r = traffic_start(&run->tr, run->exp, &run->topo, run->outdir, &run_signal);
	run->have_tr = run->tr.snd != NULL;
	if (run->tr.t0_ns)
		run->col.t0_ns = run->tr.t0_ns;
	if (r < 0) {
		run_fail(run, r, "could not start the flows");
		return r;
	}
	link_set_t0(&run->lr, run->tr.t0_ns);
	self_cpu_us(run->cpu_start_us);
	deadline = run->tr.t0_ns + (uint64_t)((run->exp->duration_s + RUN_OVERTIME_S) * 1e9);
	for (int i = 0; i < run->exp->nflows; i++)
		if (run->exp->flows[i].stop_s > last_stop_s)
			last_stop_s = run->exp->flows[i].stop_s;
	while (!run_signal) {
		/* Once the flows are told to stop, their end is waited for at a finer step: the
		 * loop notices the senders' exit only when it wakes. */
		bool ending = sys_mono_ns() >= run->tr.t0_ns + (uint64_t)(last_stop_s * 1e9);

		r = collect_poll(&run->col, ending ? 10 : 100);
		if (r < 0) {
			run_fail(run, r, "could not read the ring buffer");
			return r;
		}
		if (!traffic_running(&run->tr))
			break;
		if (!link_alive(&run->lr)) {
			run_fail(run, 0, "the link emulator exited: the hosts are cut off");
			return -EIO;
		}
		if (sys_mono_ns() > deadline) {
			log_err("the flows did not end %.0f s after duration_s; stopping them",
				RUN_OVERTIME_S);
			traffic_stop(&run->tr, RUN_STOP_GRACE_MS);
			break;
		}
	}
	if (run_signal) {
		log_err("%s: stopping the flows and writing what was collected",
			strsignal(run_signal));
		traffic_stop(&run->tr, RUN_STOP_GRACE_MS);
	}
	/* The last CLOSE transitions come after the processes exit (FIN handshakes). */
	for (int waited = 0; waited < RUN_CLOSE_WAIT_MS && closes_pending(run); waited += 50)
		collect_poll(&run->col, 50);
	collect_poll(&run->col, 0);
	return 0;
}

static void warn_lost_events(struct run *run)
{
	uint64_t dropped = 0, missing = 0;

	if (!run->info.have_counters)
		return;
	for (int k = 0; k < CCX_EV_MAX; k++) {
		dropped += run->info.counters[k].dropped;
		if (run->info.counters[k].seen > run->col.rows[k])
			missing += run->info.counters[k].seen - run->col.rows[k];
	}
	if (dropped || missing)
		log_err("warning: %llu event(s) dropped in the ring buffer, %llu without a "
			"row; see meta.json \"events\"",
			(unsigned long long)dropped, (unsigned long long)missing);
}

static void set_status(struct run *run)
{
	run->info.status = run->failed ? "failed" : run_signal ? "interrupted" : "complete";
	run->info.error = run->failed ? run->error : NULL;
	run->info.signal = run_signal;
}

/* meta.json as the run stands. On a full disk, the space kept at the start is given back
 * and the write tried again, so the final document can say what happened. */
static int write_meta(struct run *run)
{
	const struct collector *c = run->have_col ? &run->col : NULL;
	const struct traffic *tr = run->have_tr ? &run->tr : NULL;
	int r;

	r = results_write_meta(&run->info, run->exp, c, tr);
	if ((r == -ENOSPC || r == -EDQUOT) && results_spare_release(run->spare))
		r = results_write_meta(&run->info, run->exp, c, tr);
	return r;
}

/* Seconds, to the millisecond: finer would only be noise. */
static double secs(int64_t ns)
{
	return round((double)ns / 1e6) / 1e3;
}

/* meta.json's "overhead_s": where the wall time beyond duration_s went. setup runs up to the
 * experiment's t0; flows is how long the flows outlasted duration_s; charts is the drawing;
 * teardown all else from the flows' end to now. They add up to total_over_duration. */
static int edit_overhead(const char *meta, struct json *j, void *arg)
{
	const struct run *run = arg;
	int64_t now = (int64_t)sys_mono_ns(), t0 = (int64_t)run->tr.t0_ns;
	int64_t start = (int64_t)run->start_ns, flows_end = (int64_t)run->flows_end_ns;
	int64_t dur = (int64_t)(run->exp->duration_s * 1e9);
	int64_t charts = (int64_t)(run->charts_end_ns - run->charts_start_ns);

	(void)meta;
	json_key(j, "overhead_s");
	json_object_begin(j);
	json_kv_double(j, "setup", secs(t0 - start));
	json_kv_double(j, "flows_over_duration", secs(flows_end - t0 - dur));
	json_kv_double(j, "teardown", secs(now - flows_end - charts));
	json_kv_double(j, "charts", secs(charts));
	json_kv_double(j, "total_over_duration", secs(now - start - dur));
	json_object_end(j);
	/* From the flows' start to their end, when both were reached. */
	if (run->cpu_start_us[0] + run->cpu_start_us[1] > 0) {
		json_key(j, "ccexp_cpu_during_flows_s");
		json_object_begin(j);
		json_kv_double(j, "user", secs((run->cpu_end_us[0] - run->cpu_start_us[0]) * 1000));
		json_kv_double(j, "system",
			       secs((run->cpu_end_us[1] - run->cpu_start_us[1]) * 1000));
		json_object_end(j);
	}
	return 0;
}

/* The one way out once the folder exists: releases what the steps made, in reverse, and
 * writes what the run found. Returns the exit code. */
static int run_finish(struct run *run)
{
	char why[512];
	int r;

	run->finishing = true;
	run->flows_end_ns = sys_mono_ns();
	self_cpu_us(run->cpu_end_us);
	if (run->have_col && collect_counters(&run->col, run->info.counters) == 0)
		run->info.have_counters = true;
	for (int a = 0; a <= CCX_CC_VEGAS; a++)
		if (run->registered[a])
			cc_unregister(&run->regs[a]);
	if (run->have_tr)
		traffic_stop(&run->tr, RUN_STOP_GRACE_MS);
	/* What the stopped flows' sockets said last (also after a start cut short, which
	 * never reached run_flows' own draining). */
	if (run->have_col)
		collect_poll(&run->col, 0);
	/* Its final counters, for meta.json; a timeline it could not finish fails the run. When
	 * a signal stopped the run, the link's helper got it too (Ctrl-C to the terminal's
	 * group, a scheduler's scancel to the job): the run is interrupted, and meta.json's
	 * link.timeline_complete says the timeline is cut. */
	if (run->have_link && link_stop(&run->lr) < 0) {
		if (run_signal)
			log_err("the link's timeline is incomplete: %s", run->lr.error);
		else
			run_fail(run, 0, "the link's timeline is incomplete: %s", run->lr.error);
	}
	run->info.end_wall = time(NULL);
	if (run->have_col) {
		r = collect_close(&run->col);
		if (r < 0)
			run_fail(run, r, "could not write the event files");
	}
	if (run->have_tr && run->have_col) {
		r = results_write_flows(run->outdir, run->exp, &run->col, &run->tr);
		if (r < 0)
			run_fail(run, r, "could not write flows.csv");
		r = results_write_throughput(run->outdir, run->exp, &run->col);
		if (r < 0)
			run_fail(run, r, "could not write timeline/throughput.csv");
		/* A flow that did not do its part is a failed experiment, whatever the files. */
		if (!run_signal &&
		    results_flow_problem(run->exp, &run->col, &run->tr, why, sizeof(why)) < 0)
			run_fail(run, 0, "%s", why);
	}
	warn_lost_events(run);
	set_status(run);
	r = write_meta(run);
	if (r < 0)
		run_fail(run, r, "could not write meta.json");
	if (run->have_topo)
		topology_destroy(&run->topo);
	if (run->have_link)
		link_free(&run->lr);
	if (run->have_col) {
		collect_free(&run->col);
		/* Charts come from the saved files only, after the kernel side is released. */
		if (!run->failed) {
			/* From the saved files, like the charts; its data stay whole without it. */
			if (summary_write(run->outdir) < 0)
				log_err("the summary (summary.json, summary.csv) was not written");
			run->charts_start_ns = sys_mono_ns();
			plot_run_dir_report(run->outdir, true, &run->charts);
			/* The document as written above (the namespaces and the link's counters
			 * are gone now), with the charts put in. */
			r = results_update_charts_spare(run->outdir, &run->charts, run->spare);
			if (r < 0)
				run_fail(run, r, "could not write meta.json");
			run->charts_end_ns = sys_mono_ns();
		}
	}
	results_spare_release(run->spare);
	/* Last, to count all of the teardown; a run whose flows never started has no t0 to
	 * measure from. Not worth failing a run whose data are whole. */
	if (run->tr.t0_ns && results_meta_edit(run->outdir, edit_overhead, run) < 0)
		log_err("could not record the run's overhead in %s/meta.json", run->outdir);
	/* Last: the page shows meta.json as the run leaves it; a view, so it fails nothing. */
	if (report_write(run->outdir) < 0)
		log_err("%s/report.html was not written", run->outdir);
	if (run->have_tr) {
		print_summary(run->outdir);
		traffic_free(&run->tr);
	}
	if (run->failed) {
		printf("results: %s (status failed: %s)\n", run->outdir, run->error);
		return CCX_EXIT_FAILURE;
	}
	/* As meta.json says: a signal after the data were written (while drawing) leaves the run
	 * complete, with the charts it stopped in the "failed" list. */
	if (!strcmp(run->info.status, "interrupted")) {
		printf("results: %s (status interrupted)\n", run->outdir);
		return CCX_EXIT_FAILURE;
	}
	if (plot_report_failed(&run->charts)) {
		for (int i = 0; i < run->charts.n; i++)
			if (!run->charts.chart[i].drawn)
				log_err("chart %s was not drawn: %s", run->charts.chart[i].name,
					run->charts.chart[i].reason);
		printf("results: %s (status charts_failed; `ccexp plot %s` retries)\n",
		       run->outdir, run->outdir);
		return CCX_EXIT_CHARTS;
	}
	printf("results: %s\n", run->outdir);
	return CCX_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct run *run = calloc(1, sizeof(*run));
	int code;

	if (!run)
		return CCX_EXIT_FAILURE;
	run->start_ns = sys_mono_ns();
	code = parse_args(run, argc, argv);
	if (code < 0)
		code = validate(run);
	if (code < 0)
		code = prepare(run);
	if (code >= 0)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (make_folder(run) < 0) {
		code = CCX_EXIT_FAILURE;
		results_spare_release(run->spare);
		if (run->have_topo)
			topology_destroy(&run->topo);
		goto out;
	}
	/* Each step stops at its first failure; run_finish sorts out what exists. */
	if (build(run) == 0)
		run_flows(run);
	code = run_finish(run);
out:
	free(run->exp);
	free(run);
	return code;
}
