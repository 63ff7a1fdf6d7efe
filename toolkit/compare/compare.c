/* `ccexp compare`: runs and sweeps grouped by the settings that differ, repeats aggregated. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "analysis/compare_plot.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "core/cfg_flat.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/log.h"
#include "core/path.h"
#include "core/summary_stats.h"
#include "run/results.h"


#define META_MAX     (4 << 20) /* a meta.json larger than this is not one of ours */
#define FORMATS_MAX  3
#define MAIN_METRICS 4

/* One row of a run's summary.csv; `flow` is FLOW#CONN for a connection. */
struct metric {
	char *scope, *flow, *name, *value;
	size_t key; /* its (scope, flow, name) in cmp.keys */
};

/* The distinct (scope, flow, metric) of all runs, in the order first met, found through an
 * open-addressing hash: a run of hundreds of connections has thousands of them. */
struct keys {
	const struct metric **first; /* the first row of each key */
	size_t n;
	size_t *slot; /* key index + 1, 0 when empty; nslots a power of two */
	size_t nslots;
};

struct crun {
	char *dir; /* absolute */
	int repeat;
	char status[32];
	bool included;
	bool has_cfg;
	struct cfg_flat cfg;
	struct cfg_flat pts; /* its values in points.csv, for a run without a config */
	const char **vals;   /* the grouping settings' values ("" when not given) */
	int group;	     /* -1: in no group */
	struct metric *m;
	size_t nm;
};

struct cmp {
	struct crun *runs;
	size_t nruns;
	char **swept; /* points.csv's setting columns, first seen first */
	size_t nswept;
	char **by; /* the grouping settings */
	size_t nby;
	bool by_given;
	int ngroups;
	bool include_failed;
	const char *formats[FORMATS_MAX + 1];
	char outdir[PATH_MAX];
	struct keys keys;
};

static void compare_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp compare PATH... [-o DIR] [--by SETTING,...] [--format LIST]\n"
	    "                     [--include-failed]\n"
	    "\n"
	    "Compares runs: each PATH is a run's results folder or a sweep folder (all its\n"
	    "runs). Runs are grouped by the settings whose values differ between their saved\n"
	    "configs (experiment.seed aside), or by the settings --by names; the repeats of a\n"
	    "group are aggregated (n, mean, sd, 95%% Student's t interval, median, min, max).\n"
	    "Writes DIR/compare.csv (one row per run x flow x metric), DIR/groups.csv (group x\n"
	    "flow x metric with the statistics), DIR/runs.csv (every run considered) and the\n"
	    "charts, and prints the main metrics per group and flow (docs/compare.md).\n"
	    "\n"
	    "  -o, --output DIR      the output folder (default ./compare-<UTC date-time>)\n"
	    "      --by LIST         group by these settings (paths as in a sweep:\n"
	    "                        link.queue_bdp,flows.b.cc)\n"
	    "      --format LIST     chart formats: png (default), svg, pdf\n"
	    "      --include-failed  keep failed, interrupted and killed runs in\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "Exit status:\n"
	    "  0  the files are written\n"
	    "  1  a file could not be written\n"
	    "  2  bad command line, a path that is not a results folder, a newer format_version,\n"
	    "     flows that differ between runs, an unknown --by setting: nothing is written\n"
	    "  3  the files are written, some charts were not drawn\n"
	    "\n"
	    "EXAMPLES\n"
	    "  ccexp compare results/buffers/sweep-buffers\n"
	    "  ccexp compare --by flows.b.cc -o cmp results/buffers/sweep-buffers\n"
	    "  ccexp compare results/quickstart/<run-a> results/quickstart/<run-b>\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ccexp compare: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	compare_usage(stderr);
	return CCX_EXIT_USAGE;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		log_err("compare: out of memory");
		exit(CCX_EXIT_FAILURE);
	}
	return d;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		log_err("compare: out of memory");
		exit(CCX_EXIT_FAILURE);
	}
	return p;
}

static bool is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	return path_fmt(p, sizeof(p), "%s/%s", dir, name) == 0 && stat(p, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

static int index_of(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return (int)i;
	return -1;
}

static struct crun *add_run(struct cmp *c, const char *dir, int repeat, const char *status)
{
	struct crun *r;

	for (size_t i = 0; i < c->nruns; i++)
		if (!strcmp(c->runs[i].dir, dir))
			return NULL; /* named twice: counted once */
	c->runs = xrealloc(c->runs, (c->nruns + 1) * sizeof(*c->runs));
	r = &c->runs[c->nruns++];
	memset(r, 0, sizeof(*r));
	r->dir = xstrdup(dir);
	r->repeat = repeat;
	r->group = -1;
	snprintf(r->status, sizeof(r->status), "%s", status);
	return r;
}

/* A sweep folder: its runs from points.csv, its setting columns into c->swept. */
static int read_sweep(struct cmp *c, const char *dir)
{
	struct csv_col cols[] = {{"point_id"}, {"repeat"}, {"seed"}, {"status"}, {"run_dir"}};
	struct csv_reader in;
	char p[PATH_MAX];
	char **header = NULL;
	int nheader, r;

	r = path_fmt(p, sizeof(p), "%s/points.csv", dir);
	if (r < 0)
		return log_err_errno(-EINVAL, "%s/points.csv", dir);
	r = csv_reader_open(&in, p);
	if (r < 0)
		return log_err_errno(r, "compare: %s", p);
	r = csv_read_header(&in, cols, 5);
	if (r < 0) {
		csv_reader_close(&in);
		return -EINVAL;
	}
	nheader = cols[3].idx > cols[2].idx ? cols[3].idx - cols[2].idx - 1 : 0;
	header = xrealloc(NULL, (nheader + 1) * sizeof(*header));
	for (int k = 0; k < nheader; k++) {
		const char *name = csv_field(&in, cols[2].idx + 1 + k);

		header[k] = xstrdup(name);
		if (index_of(c->swept, c->nswept, name) < 0) {
			c->swept = xrealloc(c->swept, (c->nswept + 1) * sizeof(*c->swept));
			c->swept[c->nswept++] = xstrdup(name);
		}
	}
	while ((r = csv_next_row(&in)) == 1) {
		const char *run_dir = csv_field(&in, cols[4].idx);
		struct crun *run;
		uint64_t rep = 0;
		char rd[PATH_MAX];

		if (!csv_field_u64(&in, cols[1].idx, &rep) || rep > INT_MAX) {
			log_err("%s:%lu: repeat: not a number", p, in.line);
			r = -EINVAL;
			break;
		}
		/* A run without a finished folder is listed where its folder would be. */
		if (*run_dir)
			r = path_fmt(rd, sizeof(rd), "%s/%s", dir, run_dir);
		else
			r = path_fmt(rd, sizeof(rd), "%s/runs/%s-r%d", dir,
				     csv_field(&in, cols[0].idx), (int)rep);
		if (r < 0) {
			log_err("%s:%lu: the run's path is too long", p, in.line);
			break;
		}
		run = add_run(c, rd, (int)rep, csv_field(&in, cols[3].idx));
		for (int k = cols[2].idx + 1; run && k < cols[3].idx; k++)
			if (cfg_flat_add(&run->pts, header[k - cols[2].idx - 1],
					 csv_field(&in, k)) < 0) {
				log_err("compare: out of memory");
				exit(CCX_EXIT_FAILURE);
			}
	}
	csv_reader_close(&in);
	for (int k = 0; k < nheader; k++)
		free(header[k]);
	free(header);
	return r < 0 ? -EINVAL : 0;
}

/* meta.json's format_version, a top-level integer member; -1 when there is none. */
static long format_version(const char *text)
{
	const char *k = strstr(text, "\"format_version\"");
	char *end;
	long v;

	if (!k)
		return -1;
	k += strlen("\"format_version\"");
	k += strspn(k, " \t\n");
	if (*k++ != ':')
		return -1;
	v = strtol(k, &end, 10);
	return end == k ? -1 : v;
}

/* A run folder's meta.json: its status, and a format this ccexp can read. */
static int read_meta(struct crun *r)
{
	char p[PATH_MAX];
	char *text = NULL;
	ssize_t n;
	long v;

	if (path_fmt(p, sizeof(p), "%s/meta.json", r->dir) < 0)
		return log_err_errno(-EINVAL, "%s/meta.json", r->dir);
	n = path_read_whole(p, META_MAX, &text);
	if (n < 0)
		return log_err_errno(-EINVAL, "compare: %s", p);
	v = format_version(text);
	if (v < 0) {
		log_err("%s: no format_version: not a ccexp results folder's meta.json", p);
		free(text);
		return -EINVAL;
	}
	if (v > CCX_FORMAT_VERSION) {
		log_err(
		    "%s: format_version %ld is newer than this ccexp reads (%d): compare it with "
		    "the ccexp that wrote it, or a newer one",
		    p, v, CCX_FORMAT_VERSION);
		free(text);
		return -EINVAL;
	}
	if (json_doc_get_str(text, "status", r->status, sizeof(r->status)) < 0)
		snprintf(r->status, sizeof(r->status), "unknown");
	free(text);
	return 0;
}

/* A run folder given by itself that is runs/<run_id> of a sweep folder: its repeat index from
 * that sweep's points.csv; 0 otherwise. */
static int repeat_in_sweep(const char *dir)
{
	struct csv_col cols[] = {{"repeat"}, {"run_dir"}};
	const char *base = strrchr(dir, '/');
	char sweep[PATH_MAX], p[PATH_MAX], want[PATH_MAX];
	struct csv_reader in;
	uint64_t rep = 0;
	int r;

	if (!base || base - dir < 5 || strncmp(base - 5, "/runs", 5) ||
	    path_fmt(sweep, sizeof(sweep), "%.*s", (int)(base - 5 - dir), dir) < 0 ||
	    path_fmt(p, sizeof(p), "%s/points.csv", sweep) < 0 ||
	    path_fmt(want, sizeof(want), "runs%s", base) < 0 || !is_file(sweep, "points.csv") ||
	    csv_reader_open(&in, p) < 0)
		return 0;
	r = csv_read_header(&in, cols, 2);
	while (r == 0 && (r = csv_next_row(&in)) == 1) {
		if (!strcmp(csv_field(&in, cols[1].idx), want) &&
		    csv_field_u64(&in, cols[0].idx, &rep) && rep <= INT_MAX)
			break;
		r = 0;
	}
	csv_reader_close(&in);
	return r == 1 ? (int)rep : 0;
}

/* Each PATH: a sweep folder (points.csv) or a run folder (meta.json). */
static int read_paths(struct cmp *c, int npaths, char **paths)
{
	for (int i = 0; i < npaths; i++) {
		char abs[PATH_MAX];
		struct stat st;
		int r;

		errno = 0;
		if (!realpath(paths[i], abs) || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_err("compare: %s: not a folder%s%s", paths[i], errno ? ": " : "",
				errno ? strerror(errno) : "");
			return -EINVAL;
		}
		if (is_file(abs, "points.csv")) {
			r = read_sweep(c, abs);
		} else if (is_file(abs, "meta.json")) {
			add_run(c, abs, repeat_in_sweep(abs), "");
			r = 0;
		} else {
			log_err("compare: %s: not a results folder (neither a run's meta.json "
				"nor a sweep's points.csv in it)",
				paths[i]);
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (!c->nruns) {
		log_err("compare: no runs in the folders given");
		return -EINVAL;
	}
	return 0;
}

static bool status_ok(const char *s)
{
	return !strcmp(s, "complete") || !strcmp(s, "charts_failed");
}

/* Status, format and config of every run; which runs take part. */
static int read_runs(struct cmp *c)
{
	int kept = 0;

	for (size_t i = 0; i < c->nruns; i++) {
		struct crun *r = &c->runs[i];
		char p[PATH_MAX], err[1024];

		/* meta.json says more than points.csv when there is one. */
		if (is_file(r->dir, "meta.json") && read_meta(r) < 0)
			return -EINVAL;
		if (path_fmt(p, sizeof(p), "%s/config.cfg", r->dir) == 0 &&
		    is_file(r->dir, "config.cfg")) {
			if (cfg_flat_read(p, &r->cfg, err, sizeof(err)) < 0) {
				cfg_flat_free(&r->cfg);
				log_err("%s", err);
				return -EINVAL;
			}
			r->has_cfg = true;
		}
		/* A run still running has no final files yet, even with --include-failed. */
		r->included =
		    (status_ok(r->status) || (c->include_failed && strcmp(r->status, "running"))) &&
		    r->has_cfg && is_file(r->dir, "meta.json");
		if (r->included)
			kept++;
		else if (!is_file(r->dir, "meta.json"))
			log_err("compare: %s: %s, left out (no results folder)", r->dir, r->status);
		else
			log_err("compare: %s: %s, left out%s", r->dir, r->status,
				!r->has_cfg ? " (no config.cfg)" : " (--include-failed keeps it)");
	}
	if (!kept) {
		log_err("compare: none of the %zu runs is complete", c->nruns);
		return -EINVAL;
	}
	return 0;
}

static const char *value_of(const struct crun *r, const char *path)
{
	const char *v = cfg_flat_get(r->has_cfg ? &r->cfg : &r->pts, path);

	return v ? v : "";
}

/* Whether `path` has two values among the included runs (not given counts as one). */
static bool varies(const struct cmp *c, const char *path)
{
	const char *first = NULL;

	for (size_t i = 0; i < c->nruns; i++) {
		const char *v;

		if (!c->runs[i].included)
			continue;
		v = value_of(&c->runs[i], path);
		if (!first)
			first = v;
		else if (strcmp(first, v))
			return true;
	}
	return false;
}

static void add_by(struct cmp *c, const char *path)
{
	if (index_of(c->by, c->nby, path) >= 0)
		return;
	c->by = xrealloc(c->by, (c->nby + 1) * sizeof(*c->by));
	c->by[c->nby++] = xstrdup(path);
}

/* The grouping settings: --by's, after checking each is a setting of a run; else those that
 * differ, points.csv's columns first, then the others in the order of the configs. The seed
 * differs between repeats by design, so it never groups. */
static int choose_by(struct cmp *c, const char *by_arg)
{
	char **seen = NULL; /* the paths looked at */
	size_t nseen = 0;

	if (by_arg) {
		char *list = xstrdup(by_arg), *save = NULL;
		int r = 0;

		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			bool known = index_of(c->swept, c->nswept, t) >= 0;

			for (size_t i = 0; i < c->nruns && !known; i++)
				known = c->runs[i].has_cfg && cfg_flat_get(&c->runs[i].cfg, t);
			if (!known) {
				log_err("compare: --by %s: no run's config has this setting "
					"(a path as in a sweep: link.queue_bdp, flows.NAME.cc)",
					t);
				r = -EINVAL;
				break;
			}
			add_by(c, t);
		}
		free(list);
		if (!r && !c->nby) {
			log_err("compare: --by: no setting given");
			r = -EINVAL;
		}
		return r;
	}
	for (size_t k = 0; k < c->nswept; k++)
		if (varies(c, c->swept[k]))
			add_by(c, c->swept[k]);
	/* Each path is looked at once: a sweep's runs mostly share theirs. */
	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *r = &c->runs[i];

		for (size_t k = 0; r->included && k < r->cfg.n; k++) {
			char *p = xstrdup(r->cfg.items[k].path);
			size_t len = strlen(p);

			/* A knob's value groups under its sweep path, without ".value". */
			if (len > 6 && !strcmp(p + len - 6, ".value"))
				p[len - 6] = '\0';
			if (index_of(seen, nseen, p) >= 0) {
				free(p);
				continue;
			}
			seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = p;
			if (strcmp(p, "experiment.seed") && varies(c, p))
				add_by(c, p);
		}
	}
	for (size_t k = 0; k < nseen; k++)
		free(seen[k]);
	free(seen);
	return 0;
}

/* Runs with the same grouping values form a group, numbered in the order first met. */
static void make_groups(struct cmp *c)
{
	for (size_t i = 0; i < c->nruns; i++) {
		struct crun *r = &c->runs[i];

		r->vals = xrealloc(NULL, (c->nby + 1) * sizeof(*r->vals));
		for (size_t k = 0; k < c->nby; k++)
			r->vals[k] = value_of(r, c->by[k]);
	}
	for (size_t i = 0; i < c->nruns; i++) {
		struct crun *r = &c->runs[i];

		if (!r->included)
			continue;
		for (size_t j = 0; j < i && r->group < 0; j++) {
			const struct crun *o = &c->runs[j];
			size_t k = 0;

			while (o->included && k < c->nby && !strcmp(o->vals[k], r->vals[k]))
				k++;
			if (o->included && k == c->nby)
				r->group = o->group;
		}
		if (r->group < 0)
			r->group = c->ngroups++;
	}
	/* A run left out shows the group it would be in, when there is one. */
	for (size_t i = 0; i < c->nruns; i++) {
		struct crun *r = &c->runs[i];

		for (size_t j = 0; j < c->nruns && r->group < 0; j++) {
			size_t k = 0;

			while (c->runs[j].included && k < c->nby &&
			       !strcmp(c->runs[j].vals[k], r->vals[k]))
				k++;
			if (c->runs[j].included && k == c->nby)
				r->group = c->runs[j].group;
		}
	}
}

static char *flow_names(const struct crun *r)
{
	size_t len = 1;
	char *s;

	for (size_t k = 0; k < r->cfg.nflows; k++)
		len += strlen(r->cfg.flows[k]) + 2;
	s = xrealloc(NULL, len);
	s[0] = '\0';
	for (size_t k = 0; k < r->cfg.nflows; k++) {
		if (k)
			strcat(s, ", ");
		strcat(s, r->cfg.flows[k]);
	}
	return s;
}

/* Every run compared must have the same flows, by name: a metric of flow b means nothing
 * beside a run without one. */
static int match_flows(const struct cmp *c)
{
	const struct crun *first = NULL;

	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *r = &c->runs[i];
		bool same;

		if (!r->included)
			continue;
		if (!first) {
			first = r;
			continue;
		}
		same = r->cfg.nflows == first->cfg.nflows;
		/* Names are unique within a config: the same count and each found is the same set.
		 */
		for (size_t k = 0; same && k < r->cfg.nflows; k++)
			same = index_of(first->cfg.flows, first->cfg.nflows, r->cfg.flows[k]) >= 0;
		if (!same) {
			char *a = flow_names(first), *b = flow_names(r);

			log_err("compare: the runs' flows cannot be matched: %s has flows (%s), "
				"%s has (%s); compare runs of the same flows",
				first->dir, a, r->dir, b);
			free(a);
			free(b);
			return -EINVAL;
		}
	}
	return 0;
}

static uint64_t key_hash(const struct metric *m)
{
	const char *parts[] = {m->scope, m->flow, m->name};
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i];; p++) {
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
			if (!*p)
				break;
		}
	return h;
}

static bool same_key(const struct metric *a, const struct metric *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->flow, b->flow) &&
	       !strcmp(a->scope, b->scope);
}

/* The slot where m's key is, or the empty one where it goes. */
static size_t *key_slot(const struct keys *k, const struct metric *m)
{
	size_t i = key_hash(m) & (k->nslots - 1);

	while (k->slot[i] && !same_key(k->first[k->slot[i] - 1], m))
		i = (i + 1) & (k->nslots - 1);
	return &k->slot[i];
}

/* Sets m->key, adding the key when it is new. */
static void key_of(struct keys *k, struct metric *m)
{
	size_t *slot;

	if (2 * (k->n + 1) > k->nslots) {
		struct keys big = {.first = k->first, .n = k->n};

		big.nslots = k->nslots ? 2 * k->nslots : 1024;
		big.slot = calloc(big.nslots, sizeof(*big.slot));
		if (!big.slot) {
			log_err("compare: out of memory");
			exit(CCX_EXIT_FAILURE);
		}
		for (size_t i = 0; i < k->n; i++)
			*key_slot(&big, k->first[i]) = i + 1;
		free(k->slot);
		*k = big;
	}
	slot = key_slot(k, m);
	if (!*slot) {
		k->first = xrealloc(k->first, (k->n + 1) * sizeof(*k->first));
		k->first[k->n++] = m;
		*slot = k->n;
	}
	m->key = *slot - 1;
}

/* A run's summary.csv into r->m; made from its saved files first when it has none. */
static int read_summary(struct crun *r)
{
	struct csv_col cols[] = {{"scope"}, {"flow"}, {"conn"}, {"metric"}, {"value"}};
	struct csv_reader in;
	char p[PATH_MAX];
	int rc;

	if (path_fmt(p, sizeof(p), "%s/summary.csv", r->dir) < 0)
		return log_err_errno(-EINVAL, "%s/summary.csv", r->dir);
	if (!is_file(r->dir, "summary.csv")) {
		log_info("compare: %s: no summary.csv (an older run): computing it", r->dir);
		rc = summary_write(r->dir);
		if (rc < 0)
			return log_err_errno(rc, "%s: the summary could not be made", r->dir);
	}
	rc = csv_reader_open(&in, p);
	if (rc < 0)
		return log_err_errno(rc, "compare: %s", p);
	rc = csv_read_header(&in, cols, 5);
	while (rc == 0 && (rc = csv_next_row(&in)) == 1) {
		struct metric *m;
		char flow[256];

		r->m = xrealloc(r->m, (r->nm + 1) * sizeof(*r->m));
		m = &r->m[r->nm++];
		if (*csv_field(&in, cols[2].idx))
			snprintf(flow, sizeof(flow), "%s#%s", csv_field(&in, cols[1].idx),
				 csv_field(&in, cols[2].idx));
		else
			snprintf(flow, sizeof(flow), "%s", csv_field(&in, cols[1].idx));
		m->scope = xstrdup(csv_field(&in, cols[0].idx));
		m->flow = xstrdup(flow);
		m->name = xstrdup(csv_field(&in, cols[3].idx));
		m->value = xstrdup(csv_field(&in, cols[4].idx));
		rc = 0;
	}
	csv_reader_close(&in);
	return rc < 0 ? -EINVAL : 0;
}

/* A metric's value; false when it has none. */
static bool parse_value(const struct metric *m, double *v)
{
	char *end;

	*v = strtod(m->value, &end);
	return *m->value && !*end && isfinite(*v);
}

/* The group's values of one metric (runs without one left out), into x; returns n. */
static size_t group_values(const struct cmp *c, int g, const struct metric *key, double *x)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *r = &c->runs[i];

		if (!r->included || r->group != g)
			continue;
		for (size_t k = 0; k < r->nm; k++) {
			if (!same_key(&r->m[k], key))
				continue;
			if (parse_value(&r->m[k], &x[n]))
				n++;
			break;
		}
	}
	return n;
}

struct agg {
	size_t n;
	double mean, sd, half, median, min, max;
};

static void aggregate(double *x, size_t n, struct agg *a)
{
	a->n = n;
	a->mean = stats_mean(x, n);
	a->sd = stats_sd(x, n);
	a->half = stats_ci95_half(x, n);
	a->median = stats_percentile(x, n, 50); /* sorts x */
	a->min = n ? x[0] : NAN;
	a->max = n ? x[n - 1] : NAN;
}

static void put_lead(struct csv *o, const struct cmp *c, const struct crun *r, bool with_run)
{
	if (with_run)
		csv_str(o, r->dir);
	if (r->group >= 0)
		csv_i64(o, r->group);
	else
		csv_str(o, "");
	if (with_run)
		csv_i64(o, r->repeat);
	for (size_t k = 0; k < c->nby; k++)
		csv_str(o, r->vals[k]);
}

static const char **header(const struct cmp *c, const char *const *head, const char *const *tail)
{
	size_t nh = 0, nt = 0, k = 0;
	const char **cols;

	while (head[nh])
		nh++;
	while (tail[nt])
		nt++;
	cols = xrealloc(NULL, (nh + c->nby + nt + 1) * sizeof(*cols));
	for (size_t i = 0; i < nh; i++)
		cols[k++] = head[i];
	for (size_t i = 0; i < c->nby; i++)
		cols[k++] = c->by[i];
	for (size_t i = 0; i < nt; i++)
		cols[k++] = tail[i];
	cols[k] = NULL;
	return cols;
}

/* An in-memory table whose columns are head, the grouping settings, then tail. */
static int open_table(const struct cmp *c, const char *const *head, const char *const *tail,
		      struct csv *o)
{
	const char **cols = header(c, head, tail);
	int r = csv_open_mem(o, cols);

	free(cols);
	return r;
}

/* Writes the rows of o to DIR/name in one go. */
static int replace(const struct cmp *c, struct csv *o, const char *name)
{
	char p[PATH_MAX];
	int r = o->err;

	if (!r)
		r = path_fmt(p, sizeof(p), "%s/%s", c->outdir, name);
	if (!r)
		r = path_replace_file(p, o->buf, o->row_start);
	if (r < 0)
		log_err_errno(r, "compare: write %s/%s", c->outdir, name);
	csv_close(o);
	return r;
}

static int write_runs_csv(const struct cmp *c)
{
	static const char *const head[] = {"run", "group", "repeat", NULL};
	static const char *const tail[] = {"status", "included", NULL};
	struct csv o;
	int r = open_table(c, head, tail, &o);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->nruns; i++) {
		put_lead(&o, c, &c->runs[i], true);
		csv_str(&o, c->runs[i].status);
		csv_i64(&o, c->runs[i].included);
		csv_end_row(&o);
	}
	return replace(c, &o, "runs.csv");
}

static int write_compare_csv(const struct cmp *c)
{
	static const char *const head[] = {"run", "group", "repeat", NULL};
	static const char *const tail[] = {"scope", "flow", "metric", "value", NULL};
	struct csv o;
	int r = open_table(c, head, tail, &o);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *run = &c->runs[i];

		for (size_t k = 0; run->included && k < run->nm; k++) {
			put_lead(&o, c, run, true);
			csv_str(&o, run->m[k].scope);
			csv_str(&o, run->m[k].flow);
			csv_str(&o, run->m[k].name);
			csv_str(&o, run->m[k].value);
			csv_end_row(&o);
		}
	}
	return replace(c, &o, "compare.csv");
}

/* The group's first run. */
static const struct crun *first_of(const struct cmp *c, int g)
{
	for (size_t i = 0; i < c->nruns; i++)
		if (c->runs[i].included && c->runs[i].group == g)
			return &c->runs[i];
	return NULL;
}

static void put_agg(struct csv *o, const struct metric *m, const struct agg *a)
{
	csv_str(o, m->scope);
	csv_str(o, m->flow);
	csv_str(o, m->name);
	csv_i64(o, (int64_t)a->n);
	csv_double(o, a->mean, 6);
	csv_double(o, a->sd, 6);
	csv_double(o, a->mean - a->half, 6);
	csv_double(o, a->mean + a->half, 6);
	csv_double(o, a->median, 6);
	csv_double(o, a->min, 6);
	csv_double(o, a->max, 6);
	csv_end_row(o);
}

/* One group's rows, the keys in the order first met: a key is listed when a run of the group
 * has its row, even without a value. x[key * n + j] is the j-th run's value, NaN for none. */
static int group_rows(const struct cmp *c, int g, struct csv *o)
{
	size_t nk = c->keys.n, n = 0, j = 0;
	double *x, *v;
	bool *listed;

	for (size_t i = 0; i < c->nruns; i++)
		n += c->runs[i].included && c->runs[i].group == g;
	x = malloc((nk * n + 1) * sizeof(*x));
	v = malloc((n + 1) * sizeof(*v));
	listed = calloc(nk + 1, sizeof(*listed));
	if (!x || !v || !listed) {
		free(x);
		free(v);
		free(listed);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nk * n; i++)
		x[i] = NAN;
	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *r = &c->runs[i];

		if (!r->included || r->group != g)
			continue;
		for (size_t k = 0; k < r->nm; k++) {
			const struct metric *m = &r->m[k];

			listed[m->key] = true;
			if (!parse_value(m, &x[m->key * n + j]))
				x[m->key * n + j] = NAN;
		}
		j++;
	}
	for (size_t k = 0; k < nk; k++) {
		size_t nv = 0;
		struct agg a;

		if (!listed[k])
			continue;
		for (j = 0; j < n; j++)
			if (!isnan(x[k * n + j]))
				v[nv++] = x[k * n + j];
		aggregate(v, nv, &a);
		put_lead(o, c, first_of(c, g), false);
		put_agg(o, c->keys.first[k], &a);
	}
	free(x);
	free(v);
	free(listed);
	return 0;
}

static int write_groups_csv(const struct cmp *c)
{
	static const char *const head[] = {"group", NULL};
	static const char *const tail[] = {"scope",    "flow",	    "metric", "n",   "mean", "sd",
					   "ci95_low", "ci95_high", "median", "min", "max",  NULL};
	struct csv o;
	int r = open_table(c, head, tail, &o);

	for (int g = 0; r == 0 && g < c->ngroups; g++)
		r = group_rows(c, g, &o);
	if (r < 0) {
		csv_close(&o);
		return log_err_errno(r, "compare: groups.csv");
	}
	return replace(c, &o, "groups.csv");
}

/* "mean +- half (n)" of one metric of one group, or "-". */
static void cell(const struct cmp *c, int g, const char *scope, const char *flow,
		 const char *metric, char *buf, size_t len)
{
	struct metric key = {(char *)scope, (char *)flow, (char *)metric, NULL};
	double *x = xrealloc(NULL, c->nruns * sizeof(*x));
	size_t n;

	memset(x, 0, c->nruns * sizeof(*x));
	n = group_values(c, g, &key, x);
	double half = stats_ci95_half(x, n);

	if (!n)
		snprintf(buf, len, "-");
	else if (isnan(half))
		snprintf(buf, len, "%.3g (n=%zu)", stats_mean(x, n), n);
	else
		snprintf(buf, len, "%.3g +- %.2g (n=%zu)", stats_mean(x, n), half, n);
	free(x);
}

/* The charts (analysis/compare_plot.c) from the files just written: each one drawn is named,
 * each one not is named with its reason. Returns the exit code. */
static int draw_charts(const struct cmp *c)
{
	struct plot_report rep = {0};
	int r = compare_plot(c->outdir, c->formats, &rep), drawn = 0;

	for (int i = 0; i < rep.n; i++) {
		if (rep.chart[i].drawn)
			drawn++;
		else
			log_err("compare: chart %s not drawn: %s", rep.chart[i].name,
				rep.chart[i].reason);
	}
	printf("charts: %d of %d drawn in %s/charts\n", drawn, rep.n, c->outdir);
	if (r == -ENOENT)
		log_err("compare: gnuplot is not installed: no charts (the CSV files are whole)");
	else if (r == -ENOTSUP || r == -EINVAL)
		log_err("compare: charts not drawn: %s", strerror(-r));
	return r < 0 ? CCX_EXIT_CHARTS : CCX_EXIT_OK;
}

/* The main metrics per group and flow, with the 95% interval's half-width and n. */
static void print_table(const struct cmp *c)
{
	static const char *const metrics[MAIN_METRICS] = {"goodput_mbit", "goodput_steady_mbit",
							  "srtt_p95_ms", "retrans_rate_pct"};
	char buf[96];

	for (int g = 0; g < c->ngroups; g++) {
		const struct crun *r = first_of(c, g);

		printf("group %d:", g);
		for (size_t k = 0; k < c->nby; k++)
			printf(" %s=%s", c->by[k], r->vals[k]);
		cell(c, g, "run", "", "jain_flows", buf, sizeof(buf));
		printf("%s  jain_flows %s\n", c->nby ? "" : " (all runs)", buf);
		printf("  %-10s", "flow");
		for (int m = 0; m < MAIN_METRICS; m++)
			printf(" %-24s", metrics[m]);
		printf("\n");
		for (size_t f = 0; f < r->cfg.nflows; f++) {
			printf("  %-10s", r->cfg.flows[f]);
			for (int m = 0; m < MAIN_METRICS; m++) {
				cell(c, g, "flow", r->cfg.flows[f], metrics[m], buf, sizeof(buf));
				printf(" %-24s", buf);
			}
			printf("\n");
		}
	}
	printf("mean +- half-width of the 95%% t interval over n runs; files in %s\n", c->outdir);
}

/* A list like "png,pdf" into c->formats. Returns 0, or -EINVAL with the usage shown. */
static int parse_formats(struct cmp *c, const char *list, const char *what)
{
	static const char *const known[] = {"png", "svg", "pdf"};
	char *s = xstrdup(list), *save = NULL;
	int n = 0, r = 0;

	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int k = 0;

		while (k < FORMATS_MAX && strcmp(known[k], t))
			k++;
		if (k == FORMATS_MAX) {
			usage_error("%s %s: unknown format (png, svg, pdf)", what, t);
			r = -EINVAL;
			break;
		}
		for (int j = 0; j < n && k < FORMATS_MAX; j++)
			if (c->formats[j] == known[k])
				k = FORMATS_MAX + 1;
		if (k < FORMATS_MAX)
			c->formats[n++] = known[k];
	}
	free(s);
	if (!r && !n) {
		usage_error("%s: no format given", what);
		r = -EINVAL;
	}
	c->formats[n] = NULL;
	return r;
}

/* Without --format: the runs' `plots.formats` (the first run that gives it; a config array
 * as cfg_flat writes one, e.g. ["png", "pdf"]), else png. */
static int formats_from_runs(struct cmp *c)
{
	for (size_t i = 0; i < c->nruns; i++) {
		const struct crun *r = &c->runs[i];
		const char *v = r->has_cfg ? cfg_flat_get(&r->cfg, "plots.formats") : NULL;
		char list[64];
		size_t n = 0;

		if (!r->included || !v)
			continue;
		for (const char *p = v; *p && n < sizeof(list) - 1; p++)
			if (!strchr("[]\" \t", *p))
				list[n++] = *p;
		list[n] = '\0';
		return parse_formats(c, list, "plots.formats");
	}
	return 0;
}

static void free_cmp(struct cmp *c)
{
	for (size_t i = 0; i < c->nruns; i++) {
		struct crun *r = &c->runs[i];

		for (size_t k = 0; k < r->nm; k++) {
			free(r->m[k].scope);
			free(r->m[k].flow);
			free(r->m[k].name);
			free(r->m[k].value);
		}
		free(r->m);
		free(r->vals);
		free(r->dir);
		cfg_flat_free(&r->cfg);
		cfg_flat_free(&r->pts);
	}
	for (size_t k = 0; k < c->nswept; k++)
		free(c->swept[k]);
	for (size_t k = 0; k < c->nby; k++)
		free(c->by[k]);
	free(c->swept);
	free(c->by);
	free(c->runs);
	free(c->keys.first);
	free(c->keys.slot);
}

/* Makes the output folder (with its parents); *made says whether it was not there. */
static int make_outdir(const char *dir, bool *made)
{
	char p[PATH_MAX];
	struct stat st;

	*made = false;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (path_fmt(p, sizeof(p), "%s", dir) < 0)
		return -ENAMETOOLONG;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0)
		return -errno;
	*made = true;
	return 0;
}

static int write_all(struct cmp *c)
{
	static const char *const files[] = {"runs.csv", "compare.csv", "groups.csv"};
	bool made;
	int r = make_outdir(c->outdir, &made);

	if (r < 0)
		return log_err_errno(r, "compare: make %s", c->outdir);
	r = write_runs_csv(c);
	if (!r)
		r = write_compare_csv(c);
	if (!r)
		r = write_groups_csv(c);
	if (r < 0 && made) {
		/* A folder this call made holds nothing of value when a write failed. */
		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
			char p[PATH_MAX];

			if (path_fmt(p, sizeof(p), "%s/%s", c->outdir, files[k]) == 0)
				unlink(p);
		}
		rmdir(c->outdir);
	}
	return r;
}

int cmd_compare(int argc, char **argv)
{
	enum { O_BY = 256, O_FORMAT, O_FAILED };
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"by", required_argument, NULL, O_BY},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"include-failed", no_argument, NULL, O_FAILED},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmp c = {.formats = {"png", NULL}};
	const char *out = NULL, *by = NULL;
	int opt, rc = CCX_EXIT_USAGE;
	bool format_given = false;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case O_BY:
			by = optarg;
			break;
		case O_FORMAT:
			if (parse_formats(&c, optarg, "--format") < 0)
				return CCX_EXIT_USAGE;
			format_given = true;
			break;
		case O_FAILED:
			c.include_failed = true;
			break;
		case 'h':
			compare_usage(stdout);
			return CCX_EXIT_OK;
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no PATH: give run folders or sweep folders");
	if (out) {
		struct stat st;

		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode))
			return usage_error("-o %s: exists and is not a folder", out);
		if (path_fmt(c.outdir, sizeof(c.outdir), "%s", out) < 0)
			return usage_error("-o %s: the path is too long", out);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
		snprintf(c.outdir, sizeof(c.outdir), "compare-%s", stamp);
	}
	/* Everything is read and checked before the output folder is made. */
	if (read_paths(&c, argc - optind, argv + optind) < 0 || read_runs(&c) < 0 ||
	    choose_by(&c, by) < 0 || match_flows(&c) < 0 ||
	    (!format_given && formats_from_runs(&c) < 0))
		goto out;
	for (size_t i = 0; i < c.nruns; i++) {
		struct crun *r = &c.runs[i];

		if (!r->included || read_summary(r) == 0)
			continue;
		if (status_ok(r->status))
			goto out;
		/* A failed run kept by --include-failed may have too little for a summary. */
		log_err("compare: %s: %s and without a summary, left out", r->dir, r->status);
		r->included = false;
	}
	for (size_t i = 0; i < c.nruns; i++)
		for (size_t k = 0; c.runs[i].included && k < c.runs[i].nm; k++)
			key_of(&c.keys, &c.runs[i].m[k]);
	make_groups(&c);
	if (write_all(&c) < 0) {
		rc = CCX_EXIT_FAILURE;
		goto out;
	}
	print_table(&c);
	rc = CCX_EXIT_OK;
	rc = draw_charts(&c);
	if (report_write(c.outdir) < 0)
		log_err("compare: %s/report.html was not written", c.outdir);
out:
	free_cmp(&c);
	return rc;
}
