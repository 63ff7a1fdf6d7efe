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
#include "run/results.h"
#include "kernel/sys.h"
#include "kernel/topology.h"
#include "run/flows.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	fprintf(out,
		"usage: ccexp run [-o DIR] CONFIG\n"
		"\n"
		"Runs the experiment CONFIG describes (libconfig; see docs/config.md) between two\n"
		"network namespaces joined through an emulated bottleneck, and writes its results\n"
		"folder: config.cfg, meta.json, flows.csv, events/*.csv, timeline/*.csv, plots/.\n"
		"\n"
		"  -o, --output DIR   results folder (default results/<name>/<run-id>); must not\n"
		"                     exist or be empty\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 done, 1 the run failed or was interrupted, 2 bad command line or\n"
		"config (nothing is created then).\n"
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
	char path[PATH_MAX + 16], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/flows.csv", outdir);
	f = fopen(path, "re");
	if (f) {
		/* flow,conn,cc,client_port,server_port,start_s,end_s,bytes,goodput_mbit,retrans */
		while (fgets(line, sizeof(line), f)) {
			char *fld[10], *save = NULL, *p = line;
			int n = 0;

			if (!strncmp(line, "flow,", 5))
				continue;
			for (char *tok; n < 10 && (tok = strtok_r(p, ",\n", &save)); p = NULL)
				fld[n++] = tok;
			if (n == 10)
				printf("  flow %-10s conn %s  %-8s %9s Mbit/s %7s retrans\n",
				       fld[0], fld[1], fld[2], fld[8], fld[9]);
		}
		fclose(f);
	}
	printf("results: %s\n", outdir);
}

/* Resolves each flow's cc (the kernel's, or a bundled BPF one registered for this run under
 * a unique name sharing the sockops program's maps) and tells the sockops program. */
static int choose_ccs(const struct experiment *exp, struct collector *col, const char *id,
		      struct run_info *info, struct cc_registration *regs, bool *registered,
		      char *err, size_t errlen)
{
	char avail[1024];
	int fds[CC_MAP_MAX], r;

	if (sys_read_file(TCP_CC_AVAILABLE_PATH, avail, sizeof(avail)) < 0)
		avail[0] = '\0';
	collect_shared_fds(col, fds);
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];
		struct cc_choice ch;
		const char *name;
		char why[256];

		r = cc_resolve(fs->cc, avail, &ch, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "flow %s: %s", fs->name, why);
			return r;
		}
		name = ch.name;
		if (ch.impl == CC_IMPL_BPF) {
			if (!registered[ch.algo]) {
				r = cc_register(&regs[ch.algo], ch.algo, id, fds, why, sizeof(why));
				if (r < 0) {
					snprintf(err, errlen, "flow %s: %s", fs->name, why);
					return r;
				}
				registered[ch.algo] = true;
			}
			name = regs[ch.algo].name;
		}
		r = collect_set_flow_cc(col, i, name);
		if (r < 0) {
			snprintf(err, errlen, "flow %s: set its congestion control: %s", fs->name,
				 strerror(-r));
			return r;
		}
		info->cc_impl[i] = ch.impl == CC_IMPL_BPF ? "bpf" : "kernel";
		snprintf(info->cc_name[i], sizeof(info->cc_name[i]), "%s", name);
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char known_cc[1024], err[1024], id[CCX_RUN_ID_LEN + 1], outdir[PATH_MAX],
	    path[PATH_MAX + 32];
	struct run_info info = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	struct experiment *exp = NULL;
	struct topology topo = {0};
	struct collector col;
	struct traffic tr = {0};
	struct link_runtime lr;
	struct cc_registration regs[CCX_CC_VEGAS + 1];
	bool registered[CCX_CC_VEGAS + 1] = {false};
	bool have_col = false, have_tr = false, have_link = false;
	const char *out_opt = NULL;
	int opt, r, code = CCX_EXIT_FAILURE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out_opt = optarg;
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
	info.config_path = argv[optind];

	/* Everything is validated before the kernel is touched. */
	/* Kernel names (also as name@kernel) and the bundled ones (also as name@bpf); which
	 * implementation a flow gets is cc_resolve()'s answer. */
	r = cc_known_list(known_cc, sizeof(known_cc));
	if (r == -ENOSPC)
		log_err("the list of congestion controls is longer than %zu bytes: some are left "
			"out",
			sizeof(known_cc));
	exp = calloc(1, sizeof(*exp));
	if (!exp)
		return CCX_EXIT_FAILURE;
	r = config_load(info.config_path, known_cc, exp, err, sizeof(err));
	if (!r)
		r = link_spec_check(exp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		free(exp);
		return CCX_EXIT_USAGE;
	}
	if (out_opt) {
		r = dir_is_empty(out_opt);
		if (r <= 0) {
			fprintf(stderr, "ccexp run: %s: %s\n", out_opt,
				r == 0 ? "exists and is not empty" : strerror(-r));
			free(exp);
			return CCX_EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		log_err(
		    "ccexp run needs root (namespaces, BPF, cgroups); `ccexp check` tells more");
		free(exp);
		return CCX_EXIT_FAILURE;
	}
	r = link_choose(&lr, &exp->link, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		free(exp);
		return CCX_EXIT_FAILURE;
	}
	r = kernel_hz(&info.hz, &info.hz_source);
	if (r < 0) {
		log_err_errno(r, "find the kernel's HZ (needed to convert syn_rto_ms to jiffies)");
		free(exp);
		return CCX_EXIT_FAILURE;
	}

	topology_new_id(id, sizeof(id));
	info.run_id = id;
	info.start_wall = time(NULL);
	if (out_opt) {
		snprintf(outdir, sizeof(outdir), "%s", out_opt);
	} else {
		char stamp[32];
		struct tm tm;

		localtime_r(&info.start_wall, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(outdir, sizeof(outdir), "results/%s/%s-%s", exp->name, stamp, id);
	}
	info.outdir = outdir;
	r = sys_mkdir_p(outdir, 0755);
	if (r < 0) {
		log_err_errno(r, "create %s", outdir);
		free(exp);
		return CCX_EXIT_FAILURE;
	}
	snprintf(path, sizeof(path), "%s/config.cfg", outdir);
	r = config_save(exp, info.config_path, path);
	if (r < 0) {
		log_err_errno(r, "copy the config to %s", path);
		goto out;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	info.status = "running";
	info.topo = &topo;
	results_write_meta(&info, exp, NULL, NULL);

	log_info("run %s: %s, %.1f s, %d flow(s)", id, exp->name, exp->duration_s, exp->nflows);
	info.link = &lr;
	r = topology_create(&topo, id, link_topology_kind(&lr));
	if (r < 0) {
		info.error = "could not build the network namespaces";
		goto out;
	}
	have_link = true;
	r = link_setup(&lr, exp, &topo, outdir);
	if (r < 0) {
		log_err_errno(r, "set up the %s link", link_backend_name(lr.backend));
		info.error = "could not set up the link";
		goto out;
	}
	r = collect_open(&col, exp, info.hz, topo.cgroup, outdir);
	if (r < 0) {
		info.error = "could not load or attach the sockops program";
		goto out;
	}
	have_col = true;
	r = choose_ccs(exp, &col, id, &info, regs, registered, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		info.error = "could not set up a flow's congestion control";
		goto out;
	}
	if (run_signal)
		goto out;
	r = traffic_start(&tr, exp, &topo, outdir);
	have_tr = tr.snd != NULL;
	if (r < 0) {
		log_err_errno(r, "start the flows");
		info.error = "could not start the flows";
		goto out;
	}
	col.t0_ns = tr.t0_ns;
	link_set_t0(&lr, tr.t0_ns);

	uint64_t deadline = tr.t0_ns + (uint64_t)((exp->duration_s + RUN_OVERTIME_S) * 1e9);

	while (!run_signal) {
		r = collect_poll(&col, 100);
		if (r < 0) {
			log_err_errno(r, "read the ring buffer");
			info.error = "ring buffer read failed";
			goto out;
		}
		if (!traffic_running(&tr))
			break;
		if (!link_alive(&lr)) {
			log_err(
			    "the link emulator exited: the hosts are cut off; stopping the run");
			info.error = "the link emulator exited";
			traffic_stop(&tr, RUN_STOP_GRACE_MS);
			goto out;
		}
		if (sys_mono_ns() > deadline) {
			log_err("the flows did not end %.0f s after duration_s; stopping them",
				RUN_OVERTIME_S);
			traffic_stop(&tr, RUN_STOP_GRACE_MS);
			break;
		}
	}
	if (run_signal) {
		log_err("%s: stopping the flows and writing what was collected",
			strsignal(run_signal));
		traffic_stop(&tr, RUN_STOP_GRACE_MS);
	}
	/* The last CLOSE transitions come after the processes exit (FIN handshakes). */
	for (int waited = 0; waited < RUN_CLOSE_WAIT_MS && !collect_all_closed(&col); waited += 50)
		collect_poll(&col, 50);
	collect_poll(&col, 0);
	code = run_signal ? CCX_EXIT_FAILURE : CCX_EXIT_OK;
out:
	if (have_col) {
		if (collect_counters(&col, info.counters) == 0)
			info.have_counters = true;
	}
	for (int a = 0; a <= CCX_CC_VEGAS; a++)
		if (registered[a])
			cc_unregister(&regs[a]);
	if (have_tr)
		traffic_stop(&tr, RUN_STOP_GRACE_MS);
	if (have_link)
		link_stop(&lr); /* its final counters, for meta.json */
	info.end_wall = time(NULL);
	info.status = code == CCX_EXIT_OK ? "complete" : run_signal ? "interrupted" : "failed";
	if (have_col) {
		r = collect_close(&col);
		if (r < 0) {
			log_err_errno(r, "write the event files");
			info.status = "failed";
			info.error = "writing the event files failed";
			code = CCX_EXIT_FAILURE;
		}
	}
	if (have_tr && have_col) {
		if (results_write_flows(outdir, exp, &col, &tr) < 0 ||
		    results_write_throughput(outdir, exp, &col) < 0) {
			info.status = "failed";
			info.error = "writing flows.csv or throughput.csv failed";
			code = CCX_EXIT_FAILURE;
		}
	}
	if (info.have_counters) {
		uint64_t dropped = 0, missing = 0;

		for (int k = 0; k < CCX_EV_MAX; k++) {
			dropped += info.counters[k].dropped;
			if (info.counters[k].seen > col.rows[k])
				missing += info.counters[k].seen - col.rows[k];
		}
		if (dropped || missing)
			log_err("warning: %llu event(s) dropped in the ring buffer, %llu without a "
				"row; see meta.json \"events\"",
				(unsigned long long)dropped, (unsigned long long)missing);
	}
	r = results_write_meta(&info, exp, have_col ? &col : NULL, have_tr ? &tr : NULL);
	if (r < 0) {
		log_err_errno(r, "write %s/meta.json", outdir);
		code = CCX_EXIT_FAILURE;
	}
	topology_destroy(&topo);
	if (have_link)
		link_free(&lr);
	if (have_col) {
		collect_free(&col);
		/* Charts come from the saved files only, after the kernel side is released. */
		if (code == CCX_EXIT_OK || run_signal) {
			if (plot_run_dir(outdir, true) < 0)
				log_err("charts were not drawn; `ccexp plot %s` retries", outdir);
		}
	}
	if (have_tr) {
		print_summary(outdir);
		traffic_free(&tr);
	} else {
		printf("results: %s (status %s)\n", outdir, info.status);
	}
	free(exp);
	return code;
}

static void plot_usage(FILE *out)
{
	fprintf(out, "usage: ccexp plot DIR\n"
		     "\n"
		     "Redraws the charts of results folder DIR from its saved CSV files only:\n"
		     "writes DIR/plots/*.gp and renders DIR/plots/*.png with gnuplot.\n"
		     "\n"
		     "EXAMPLES\n"
		     "  ccexp plot results/quickstart/20261125-101500-3f9a1c\n");
}

int cmd_plot(int argc, char **argv)
{
	struct stat st;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		plot_usage(stdout);
		return CCX_EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		plot_usage(stderr);
		return CCX_EXIT_USAGE;
	}
	if (stat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ccexp plot: %s: not a results folder\n", argv[1]);
		return CCX_EXIT_USAGE;
	}
	return plot_run_dir(argv[1], true) < 0 ? CCX_EXIT_FAILURE : CCX_EXIT_OK;
}
