/* `ccexp sweep`: runs the set of runs a config describes (repeats and a sweep), each as a child
 * `ccexp run`, resumably, or lists them and hands them to a scheduler one at a time. */
#include "commands.h"
#include "core/config.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/sys.h"
#include "core/sweep.h"
#include "kernel/cc.h"
#include "link/link_spec.h"
#include "sweep/folder.h"
#include "sweep/runner.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWEEP_JOBS_MAX	   64
#define SWEEP_KNOWN_CC_LEN 1024

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

static int set_mode(struct sweep_opts *o, enum sweep_mode m)
{
	static const char *const names[] = {
	    [MODE_DRY_RUN] = "--dry-run",
	    [MODE_LIST] = "--list",
	    [MODE_POINT] = "--point",
	    [MODE_EMIT] = "--emit",
	};

	if (o->mode != MODE_RUN && o->mode != m)
		return usage_error("%s and %s do not go together", names[o->mode], names[m]);
	o->mode = m;
	return -1;
}

static int parse_args(struct sweep_opts *o, int argc, char **argv)
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
			code = set_mode(o, MODE_DRY_RUN);
			break;
		case O_LIST:
			code = set_mode(o, MODE_LIST);
			break;
		case O_POINT:
			o->point = optarg;
			code = set_mode(o, MODE_POINT);
			break;
		case O_EMIT:
			if (strcmp(optarg, "slurm") && strcmp(optarg, "parallel"))
				return usage_error("--emit %s: slurm or parallel", optarg);
			o->emit = optarg;
			code = set_mode(o, MODE_EMIT);
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

static int load(struct sweep_opts *o, struct sweep *sw)
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

static int dry_run(const struct sweep_opts *o, const struct sweep *sw)
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
	sweep_fmt_duration(wall, sizeof(wall), work_s / o->jobs);
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

static int emit(const struct sweep_opts *o, const struct sweep *sw)
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
		int r;

		snprintf(more, sizeof(more), "%s/slurm", dir);
		/* Slurm runs no task whose --output folder is missing, and says so only in
		 * slurmd's log: the folder is made now, where the script is written. */
		r = sys_mkdir_p(more, 0755);
		if (r < 0) {
			log_err_errno(r, "create %s for the array's output", more);
			return CCX_EXIT_FAILURE;
		}
		log_info("created %s for the array's output", more);
		printf("#!/bin/sh\n"
		       "# %d runs of %s, one array task each (ccexp sweep --point).\n"
		       "# Its output folder %s was made by --emit (on storage every node sees).\n"
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

int cmd_sweep(int argc, char **argv)
{
	struct sweep_opts *o = calloc(1, sizeof(*o));
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
