/* A set of runs from one config: the `sweep` list and `experiment.repeat` expanded into runs,
 * each with a complete config of its own (docs/sweep.md). */
#include "core/sweep.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/cfg_edit.h"
#include "core/cfg_read.h"
#include "core/cfg_text.h"

/* One entry of the `sweep` list: one setting, or a zip of several with as many values. */
struct dim {
	int first, n; /* its params: sw->params[first .. first + n - 1] */
	int nvalues;  /* values of each */
	config_setting_t *values[SWEEP_PATH_MAX]; /* each param's `values` (n of them) */
};

struct expander {
	struct sweep *sw;
	struct loader ld;
	struct cfg_text text;
	config_t cfg; /* the config as given, parsed once: values are read from here */
	struct dim *dims;
	int ndims;
	char dir[PATH_MAX]; /* the config's folder, absolute: relative traces are taken from it */
};

/* splitmix64: a documented, portable 64-bit mixer (docs/sweep.md), so seeds and orders are
 * the same on every machine. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned long sweep_seed(unsigned long seed, int repeat)
{
	uint64_t s = (uint64_t)seed + (uint64_t)repeat;

	if (repeat == 0)
		return seed;
	return (unsigned long)(splitmix64(&s) & INT64_MAX);
}

void sweep_order(int *order, int n, bool shuffled, unsigned long seed)
{
	uint64_t s = seed;

	for (int i = 0; i < n; i++)
		order[i] = i;
	if (!shuffled)
		return;
	for (int i = n - 1; i > 0; i--) {
		/* Modulo bias is below 2^-40 for any n a sweep allows. */
		int j = (int)(splitmix64(&s) % (uint64_t)(i + 1));
		int t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/* ---- reading the `sweep` list --------------------------------------------------------- */

static bool is_scalar(const config_setting_t *v)
{
	switch (config_setting_type(v)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
	case CONFIG_TYPE_FLOAT:
	case CONFIG_TYPE_STRING:
	case CONFIG_TYPE_BOOL:
		return true;
	default:
		return false;
	}
}

static const char *const top_sections[] = {"experiment", "link", "flows", "collect", "hosts", NULL};

/* A path must be segments of names, with flows[N] or flows.NAME for a flow. */
static int check_path(struct expander *x, const config_setting_t *s, const char *path)
{
	size_t n = strcspn(path, ".[");
	bool known = false;

	if (!*path || strlen(path) >= SWEEP_PATH_MAX)
		return fail(&x->ld, s, "not a setting's path (e.g. \"link.queue_bdp\")");
	for (int i = 0; top_sections[i]; i++)
		known |= strlen(top_sections[i]) == n && !strncmp(path, top_sections[i], n);
	if (!known)
		return fail(&x->ld, s,
			    "\"%s\": a path starts with experiment, link, flows, collect or hosts",
			    path);
	if (!strcmp(path, "experiment.name") || !strcmp(path, "experiment.repeat"))
		return fail(&x->ld, s, "\"%s\" cannot be swept (%s)", path,
			    path[11] == 'n' ? "it names the results folder"
					    : "repeats are not points");
	if (path[n] == '\0')
		return fail(&x->ld, s, "\"%s\" is a section: sweep one of its settings", path);
	return 0;
}

static int add_param(struct expander *x, const config_setting_t *entry, struct dim *d, int *cap)
{
	struct sweep *sw = x->sw;
	config_setting_t *set = NULL, *values = NULL;
	static const char *const keys[] = {"set", "values", NULL};
	const char *path;
	int r;

	r = check_members(&x->ld, entry, keys);
	if (r < 0)
		return r;
	r = get_string(&x->ld, entry, "set", true, &path, &set);
	if (r < 0)
		return r;
	r = check_path(x, set, path);
	if (r < 0)
		return r;
	r = member(&x->ld, entry, "values", true, &values);
	if (r < 0)
		return r;
	if (!config_setting_is_array(values) && !config_setting_is_list(values))
		return fail(&x->ld, values,
			    "must be a list of values: [0.5, 1.0] or (\"a\", \"b\")");
	if (config_setting_length(values) == 0)
		return fail(&x->ld, values, "is empty: a swept setting needs at least one value");
	for (int i = 0; i < config_setting_length(values); i++) {
		const config_setting_t *v = config_setting_get_elem(values, i);

		if (!is_scalar(v))
			return fail(&x->ld, v, "must be a number, a string or a boolean");
	}
	for (int i = 0; i < sw->nparams; i++)
		if (!strcmp(sw->params[i].path, path))
			return fail(&x->ld, set, "\"%s\" is already swept by sweep[%d] (line %d)",
				    path, sw->params[i].group, sw->params[i].line);
	if (d->n && config_setting_length(values) != d->nvalues)
		return fail(&x->ld, values,
			    "has %d values where the other settings of this zip have %d: a zip "
			    "varies its settings together",
			    config_setting_length(values), d->nvalues);
	if (d->n == SWEEP_PATH_MAX)
		return fail(&x->ld, entry, "too many settings in one zip");
	if (sw->nparams == *cap) {
		int ncap = *cap ? 2 * *cap : 8;
		struct sweep_param *p = realloc(sw->params, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sw->params = p;
		*cap = ncap;
	}
	{
		struct sweep_param *p = &sw->params[sw->nparams++];
		struct cfg_pos at = setting_pos(&x->ld, set);

		memset(p, 0, sizeof(*p));
		snprintf(p->path, sizeof(p->path), "%s", path);
		p->group = x->ndims;
		p->line = at.line;
		p->file = at.file;
	}
	d->values[d->n++] = values;
	d->nvalues = config_setting_length(values);
	return 0;
}

static int read_sweep(struct expander *x)
{
	config_setting_t *list = config_lookup(&x->cfg, "sweep");
	int cap = 0, n;

	if (!list)
		return 0;
	n = config_setting_length(list);
	if (n == 0)
		return fail(&x->ld, list, "is empty: leave it out for a single point");
	x->dims = calloc((size_t)n, sizeof(*x->dims));
	if (!x->dims)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, i);
		struct dim *d = &x->dims[x->ndims];
		config_setting_t *zip;
		int r;

		if (!config_setting_is_group(e))
			return fail(
			    &x->ld, e,
			    "must be { set = \"...\"; values = [...]; } or { zip = ( ... ); }");
		d->first = x->sw->nparams;
		zip = config_setting_get_member(e, "zip");
		if (zip) {
			static const char *const keys[] = {"zip", NULL};

			r = check_members(&x->ld, e, keys);
			if (r < 0)
				return r;
			if (!config_setting_is_list(zip) || config_setting_length(zip) == 0)
				return fail(&x->ld, zip,
					    "must be a list of { set = ...; values = ...; }");
			for (int k = 0; k < config_setting_length(zip); k++) {
				config_setting_t *ze = config_setting_get_elem(zip, k);

				if (!config_setting_is_group(ze))
					return fail(&x->ld, ze,
						    "must be { set = \"...\"; values = [...]; }");
				r = add_param(x, ze, d, &cap);
				if (r < 0)
					return r;
			}
		} else {
			r = add_param(x, e, d, &cap);
			if (r < 0)
				return r;
		}
		x->ndims++;
	}
	return 0;
}

/* 12 hex digits of a 64-bit FNV-1a hash of the text. */
static void text_id(const char *text, char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(id, SWEEP_ID_LEN + 1, "%012llx", (unsigned long long)(h >> 16));
}

/* ---- checking each point -------------------------------------------------------------- */

static int default_check(const char *path, char *err, size_t errlen, void *arg)
{
	struct experiment *exp = malloc(sizeof(*exp));
	int r;

	if (!exp)
		return -ENOMEM;
	r = config_load(path, arg, exp, err, errlen);
	free(exp);
	return r;
}

/* The point's values, "link.queue_bdp = 0.5, flows.b.cc = bbr", for messages. */
static void point_text(const struct sweep *sw, const struct sweep_run *run, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < sw->nparams && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s = %s", i ? ", " : "",
				 sw->params[i].path, run->values[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Runs `check` on the run's config (a memfd: nothing on disk) and says what it found in
 * terms of the sweep: its file and line, and the point. */
static int check_run(struct expander *x, const struct sweep_run *run, sweep_check_fn check,
		     void *arg)
{
	char path[64], inner[1024], point[512];
	const char *rest = inner;
	size_t len = strlen(run->config);
	int fd, r;

	fd = memfd_create("ccx-sweep-point", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, run->config, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	inner[0] = '\0';
	r = check(path, inner, sizeof(inner), arg);
	close(fd);
	if (r == 0)
		return 0;
	/* "/proc/self/fd/N:LINE: setting: what": the path and line are the memfd's. */
	if (!strncmp(inner, path, strlen(path)) && inner[strlen(path)] == ':') {
		rest = inner + strlen(path) + 1;
		rest += strspn(rest, "0123456789");
		if (*rest == ':')
			rest++;
		rest += strspn(rest, " ");
	}
	point_text(x->sw, run, point, sizeof(point));
	{
		/* The entry that set the named setting, else the first one, else `sweep`. */
		const struct sweep_param *p = x->sw->nparams ? &x->sw->params[0] : NULL;
		int line = p ? p->line : 0, file = p ? p->file : 0;

		for (int i = 0; i < x->sw->nparams; i++) {
			const char *tail = strrchr(x->sw->params[i].path, '.');

			const char *colon = strchr(rest, ':'), *at;

			tail = tail ? tail + 1 : x->sw->params[i].path;
			at = strstr(rest, tail);
			if (at && colon && at < colon) {
				line = x->sw->params[i].line;
				file = x->sw->params[i].file;
				break;
			}
		}
		if (p)
			snprintf(x->ld.err, x->ld.errlen, "%s:%d: sweep point (%s): %s",
				 x->sw->files[file], line, point, rest);
		else
			snprintf(x->ld.err, x->ld.errlen, "%s: %s", x->sw->files[0], rest);
	}
	return r < 0 ? r : -EINVAL;
}

/* ---- the expansion -------------------------------------------------------------------- */

/* The run of point `pt` (its value index in each dim) and repeat r. */
static int build_run(struct expander *x, const int *pt, int r, struct sweep_run *run)
{
	struct sweep *sw = x->sw;
	struct int_pool pool = {0};
	config_t cfg;
	config_setting_t *root, *exp;
	unsigned long base_seed;
	char why[512];
	char *text0 = NULL;
	int rc = 0;

	pool.cap = (size_t)sw->nparams + 2; /* the values, and the seed twice */
	pool.v = calloc(pool.cap, sizeof(*pool.v));
	run->values = calloc((size_t)sw->nparams + 1, sizeof(char *));
	if (!pool.v || !run->values) {
		free(pool.v);
		return -ENOMEM;
	}
	config_init(&cfg);
	if (!config_read_string(&cfg, x->text.text)) {
		rc = -EINVAL; /* it parsed the first time */
		goto out;
	}
	root = config_root_setting(&cfg);
	rc = cfg_bind_ints(&x->ld, root);
	if (rc < 0)
		goto out;
	for (int d = 0; d < x->ndims; d++) {
		const struct dim *dim = &x->dims[d];

		for (int k = 0; k < dim->n; k++) {
			const struct sweep_param *p = &sw->params[dim->first + k];
			/* From the config as given: its values list is left out of this copy. */
			const config_setting_t *v = config_setting_get_elem(dim->values[k], pt[d]);

			run->values[dim->first + k] = cfg_value_text(v);
			if (!run->values[dim->first + k]) {
				rc = -ENOMEM;
				goto out;
			}
			rc = cfg_set_path(root, p->path, v, &pool, why, sizeof(why));
			if (rc == -EINVAL) {
				snprintf(x->ld.err, x->ld.errlen, "%s:%d: sweep[%d]: %s",
					 sw->files[p->file], p->line, p->group, why);
				goto out;
			}
			if (rc < 0)
				goto out;
		}
	}
	config_setting_remove(root, "sweep");
	exp = config_setting_get_member(root, "experiment");
	if (exp && config_setting_get_member(exp, "repeat"))
		config_setting_remove(exp, "repeat");
	rc = cfg_absolute_traces(root, x->dir);
	if (rc < 0)
		goto out;
	/* The point's own seed (swept or not) is repeat 0's. */
	{
		config_setting_t *ss = exp ? config_setting_get_member(exp, "seed") : NULL;

		base_seed = ss ? (unsigned long)cfg_int_of(ss) : sw->seed;
	}
	rc = cfg_set_seed(root, base_seed, &pool);
	if (rc < 0)
		goto out;
	text0 = cfg_write_text(&cfg, "");
	if (!text0) {
		rc = -ENOMEM;
		goto out;
	}
	text_id(text0, run->point_id);
	run->repeat = r;
	run->seed = sweep_seed(base_seed, r);
	snprintf(run->run_id, sizeof(run->run_id), "%s-r%d", run->point_id, r);
	rc = cfg_set_seed(root, run->seed, &pool);
	if (rc < 0)
		goto out;
	{
		char head[256];

		snprintf(head, sizeof(head),
			 "# Run %s of sweep \"%s\": a complete config; `ccexp run` on it runs "
			 "this run again.\n",
			 run->run_id, sw->name);
		run->config = cfg_write_text(&cfg, head);
	}
	if (!run->config)
		rc = -ENOMEM;
out:
	free(text0);
	config_destroy(&cfg);
	free(pool.v);
	return rc;
}

static void free_run(struct sweep_run *run, int nparams)
{
	if (run->values)
		for (int i = 0; i < nparams; i++)
			free(run->values[i]);
	free(run->values);
	free(run->config);
	memset(run, 0, sizeof(*run));
}

void sweep_free(struct sweep *sw)
{
	for (int i = 0; i < sw->nruns; i++)
		free_run(&sw->runs[i], sw->nparams);
	free(sw->runs);
	free(sw->params);
	free(sw->text);
	memset(sw, 0, sizeof(*sw));
}

static int expand(struct expander *x, bool force, sweep_check_fn check, void *arg)
{
	struct sweep *sw = x->sw;
	long long npoints = 1;
	int pt[64] = {0};
	int rc;

	if (x->ndims > (int)(sizeof(pt) / sizeof(pt[0])))
		return fail(&x->ld, config_lookup(&x->cfg, "sweep"), "more than 64 entries");
	for (int d = 0; d < x->ndims; d++) {
		npoints *= x->dims[d].nvalues;
		if (npoints * sw->repeat > INT_MAX / 2)
			break;
	}
	if (npoints * sw->repeat > SWEEP_RUNS_LIMIT && !force) {
		config_setting_t *s = config_lookup(&x->cfg, "sweep");

		if (!s)
			s = config_lookup(&x->cfg, "experiment.repeat");
		return fail(
		    &x->ld, s,
		    "%lld runs (%lld points x repeat %d) is more than %d: --force runs them",
		    npoints * sw->repeat, npoints, sw->repeat, SWEEP_RUNS_LIMIT);
	}
	if (npoints * sw->repeat > INT_MAX / 2)
		return fail(&x->ld, config_lookup(&x->cfg, "sweep"), "far too many runs");
	sw->npoints = (int)npoints;
	sw->nruns = sw->npoints * sw->repeat;
	sw->runs = calloc((size_t)sw->nruns, sizeof(*sw->runs));
	if (!sw->runs)
		return -ENOMEM;
	for (int p = 0; p < sw->npoints; p++) {
		/* Mixed radix, the first entry slowest: nested loops in the order written. */
		for (int d = x->ndims - 1, rest = p; d >= 0; d--) {
			pt[d] = rest % x->dims[d].nvalues;
			rest /= x->dims[d].nvalues;
		}
		for (int r = 0; r < sw->repeat; r++) {
			struct sweep_run *run = &sw->runs[p * sw->repeat + r];

			run->index = p * sw->repeat + r;
			rc = build_run(x, pt, r, run);
			if (rc < 0)
				return rc;
			/* Repeats differ only in their seed: one check per point. */
			if (r == 0) {
				rc = check_run(x, run, check, arg);
				if (rc < 0)
					return rc;
			}
		}
	}
	/* Two points with one config would be one run twice under one id. */
	for (int i = 0; i < sw->npoints; i++)
		for (int j = i + 1; j < sw->npoints; j++)
			if (!strcmp(sw->runs[i * sw->repeat].point_id,
				    sw->runs[j * sw->repeat].point_id)) {
				char a[512], b[512];

				point_text(sw, &sw->runs[i * sw->repeat], a, sizeof(a));
				point_text(sw, &sw->runs[j * sw->repeat], b, sizeof(b));
				return fail(&x->ld, config_lookup(&x->cfg, "sweep"),
					    "two points give the same config: (%s) and (%s)", a, b);
			}
	return 0;
}

int sweep_load(const char *path, const char *known_cc, sweep_check_fn check, void *arg, bool force,
	       struct sweep *sw, char *err, size_t errlen)
{
	struct experiment *base = malloc(sizeof(*base));
	struct expander x = {.sw = sw};
	char scratch[1], *real = NULL, *slash;
	int r;

	memset(sw, 0, sizeof(*sw));
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (!base)
		return -ENOMEM;
	config_init(&x.cfg);
	x.ld = (struct loader){
	    .path = path, .text = &x.text, .known_cc = known_cc, .err = err, .errlen = errlen};
	/* The config as given must be a valid config itself (its base point). */
	r = config_load(path, known_cc, base, err, errlen);
	if (r < 0)
		goto out;
	snprintf(sw->name, sizeof(sw->name), "%s", base->name);
	sw->duration_s = base->duration_s;
	sw->seed = base->seed;
	sw->repeat = base->repeat;
	sw->nfiles = base->nfiles;
	memcpy(sw->files, base->files, sizeof(sw->files));

	r = cfg_text_read(&x.text, path, err, errlen);
	if (r < 0)
		goto out;
	sw->text = strdup(x.text.text);
	real = realpath(path, NULL);
	if (!sw->text || !real) {
		r = sw->text ? -errno : -ENOMEM;
		goto out;
	}
	slash = strrchr(real, '/');
	snprintf(x.dir, sizeof(x.dir), "%.*s", slash ? (int)(slash - real) : 0, real);
	if (!config_read_string(&x.cfg, x.text.text)) {
		r = -EINVAL; /* config_load read it */
		goto out;
	}
	r = cfg_bind_ints(&x.ld, config_root_setting(&x.cfg));
	if (!r)
		r = read_sweep(&x);
	if (!r)
		r = expand(&x, force, check ? check : default_check,
			   check ? arg : (void *)known_cc);
out:
	if (r < 0)
		sweep_free(sw);
	free(real);
	free(x.dims);
	config_destroy(&x.cfg);
	cfg_text_free(&x.text);
	free(base);
	return r;
}
