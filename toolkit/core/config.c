/* The experiment config: reads a libconfig file and validates all of it before any use. */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg_read.h"
#include "core/cfg_text.h"
#include "core/config.h"
#include "core/path.h"
#include "core/sweep.h"
#include "core/knobs.h"
#include "core/log.h"
#include "core/words.h"

#define DEFAULT_SEED		   1
#define DEFAULT_CODEL_TARGET_MS	   5.0
#define DEFAULT_CODEL_INTERVAL_MS  100.0
#define DEFAULT_COUNT		   1
#define DEFAULT_SAMPLE_INTERVAL_MS 10
#define MAX_DURATION_S		   86400.0
#define RINGBUF_KB_MIN		   64
#define RINGBUF_KB_MAX		   1048576

/* The seed is an unsigned long: 32 bits on some targets, and it must survive the copy. */
#if ULONG_MAX < LLONG_MAX
#define SEED_MAX ((long long)ULONG_MAX)
#else
#define SEED_MAX LLONG_MAX
#endif

static const char *const top_keys[] = {"experiment", "link",  "flows",	 "collect", "hosts",
				       "sweep",	     "plots", "summary", NULL};
static const char *const experiment_keys[] = {"name", "duration_s", "seed", "repeat", NULL};
static const char *const flow_keys[] = {"name",
					"cc",
					"cmd",
					"server_cmd",
					"count",
					"start_s",
					"stop_s",
					"extra_delay_ms",
					"extra_delay_down_ms",
					"sockops",
					NULL};
static const char *const knob_group_keys[] = {"value", "side", NULL};
static const char *const collect_keys[] = {"level", "sample_interval_ms", "rtt_samples",
					   "ringbuf_kb", NULL};
static const char *const plots_keys[] = {"per_connection_max", "goodput_window_ms", "formats",
					  NULL};
static const char *const summary_keys[] = {"warmup_s", NULL};

/* The `side` of a knob's group form, and the sockets it stands for. */
static const struct {
	const char *name;
	unsigned int sides;
} side_names[] = {
    {"sender", CCX_SIDES_SENDER},
    {"receiver", CCX_SIDES_RECEIVER},
    {"both", CCX_SIDES_BOTH},
};

static int fail_unknown_cc(struct loader *ld, const config_setting_t *s, const char *cc)
{
	char avail[1024] = "";
	const char *p = ld->known_cc, *w;
	size_t n, used;

	/* known_cc may come straight from /proc, with a trailing newline: any blank separates. */
	while ((w = words_next(&p, &n))) {
		used = strlen(avail);
		snprintf(avail + used, sizeof(avail) - used, "%s%.*s", used ? " " : "", (int)n, w);
	}
	return fail(ld, s, "unknown congestion control \"%s\" (available: %s)", cc,
		    avail[0] ? avail : "none");
}

static int load_experiment(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *g, *s;
	const char *name;
	long long seed, repeat;
	int r;

	r = get_group(ld, root, "experiment", true, &g);
	if (r < 0)
		return r;
	r = check_members(ld, g, experiment_keys);
	if (r < 0)
		return r;

	r = get_string(ld, g, "name", true, &name, &s);
	if (r < 0)
		return r;
	r = check_name(ld, s, name, sizeof(exp->name) - 1, "_.-");
	if (r < 0)
		return r;
	snprintf(exp->name, sizeof(exp->name), "%s", name);

	r = get_number(ld, g, "duration_s", true, &exp->duration_s, &s);
	if (r < 0)
		return r;
	if (!(exp->duration_s > 0 && exp->duration_s <= MAX_DURATION_S)) {
		char got[32];

		return fail(ld, s, "must be > 0 and <= 86400 (got %s)",
			    num_str(exp->duration_s, got, sizeof(got)));
	}

	r = get_int(ld, g, "seed", false, 0, SEED_MAX, &seed, &s);
	if (r < 0)
		return r;
	if (r > 0)
		exp->seed = (unsigned long)seed;

	r = get_int(ld, g, "repeat", false, 1, SWEEP_REPEAT_MAX, &repeat, &s);
	if (r < 0)
		return r;
	if (r > 0) {
		exp->repeat = (int)repeat;
		exp->set_at = setting_pos(ld, s);
	}
	return 0;
}

/* `sweep` is expanded by core/sweep.c; here it only has to be a list, so that a config with
 * one is still a valid config to read (its base point). */
static int load_sweep(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *s = config_setting_get_member(root, "sweep");

	if (!s)
		return 0;
	if (!config_setting_is_list(s))
		return fail(ld, s, "must be a list of ( { set = \"...\"; values = [...]; }, ... )");
	exp->has_sweep = true;
	exp->set_at = setting_pos(ld, s);
	return 0;
}

/* A knob's value, as a scalar `name = X` or as `value = X` inside the knob's group. */
static int load_knob_value(struct loader *ld, const config_setting_t *group, const char *name,
			   const struct knob_info *k, double *v)
{
	config_setting_t *s;
	char a[32], b[32], got[32];
	long long i = 0;
	bool on = false;
	int r;

	if (k->is_bool) {
		r = get_bool(ld, group, name, true, &on, &s);
		*v = on;
		return r < 0 ? r : 0;
	}
	if (!k->is_float) {
		r = get_int(ld, group, name, true, (long long)k->min, (long long)k->max, &i, &s);
		*v = (double)i;
		return r < 0 ? r : 0;
	}
	r = get_number(ld, group, name, true, v, &s);
	if (r < 0)
		return r;
	if (*v >= k->min && *v <= k->max)
		return 0;
	snprintf(a, sizeof(a), "%.15g", k->min);
	snprintf(b, sizeof(b), "%.15g", k->max);
	return fail(ld, s, "must be between %s and %s (got %s)", a, b,
		    num_str(*v, got, sizeof(got)));
}

static int load_knob_side(struct loader *ld, const config_setting_t *group, unsigned int *sides)
{
	config_setting_t *s;
	const char *str;
	size_t i;
	int r;

	r = get_string(ld, group, "side", false, &str, &s);
	if (r <= 0)
		return r;
	for (i = 0; i < sizeof(side_names) / sizeof(side_names[0]); i++) {
		if (strcmp(str, side_names[i].name) == 0) {
			*sides = side_names[i].sides;
			return 0;
		}
	}
	return fail(ld, s, "must be \"sender\", \"receiver\" or \"both\" (got \"%s\")", str);
}

/*
 * Every knob is read the same way, driven by knob_table: `name = X` applies X on the knob's
 * default sides, `name = { value = X; side = "..."; }` chooses the sides.
 */
static int load_knob(struct loader *ld, const config_setting_t *sockops, const struct knob_info *k,
		     struct sockops_spec *so)
{
	const config_setting_t *s = config_setting_get_member(sockops, k->name);
	unsigned int sides = k->default_sides;
	double v;
	int r;

	if (!s)
		return 0;
	if (config_setting_is_group(s)) {
		r = check_members(ld, s, knob_group_keys);
		if (r < 0)
			return r;
		r = load_knob_value(ld, s, "value", k, &v);
		if (r < 0)
			return r;
		r = load_knob_side(ld, s, &sides);
		if (r < 0)
			return r;
	} else {
		r = load_knob_value(ld, sockops, k->name, k, &v);
		if (r < 0)
			return r;
	}
	/* ecn = false asks for what the kernel does anyway: nothing to apply, nothing to log. */
	if (k->is_bool && v == 0)
		return 0;
	so->value[k->id] = v;
	so->sides[k->id] = (unsigned char)sides;
	return 0;
}

static int load_sockops(struct loader *ld, const config_setting_t *flow, struct sockops_spec *so)
{
	const char *names[CCX_KNOB_MAX + 1];
	config_setting_t *g;
	int n = 0, i, r;

	r = get_group(ld, flow, "sockops", false, &g);
	if (r <= 0)
		return r;
	for (i = 0; i < CCX_KNOB_MAX; i++)
		if (knob_table[i].name)
			names[n++] = knob_table[i].name;
	names[n] = NULL;
	r = check_members(ld, g, names);
	if (r < 0)
		return r;
	for (i = 0; i < CCX_KNOB_MAX; i++) {
		if (!knob_table[i].name)
			continue;
		r = load_knob(ld, g, &knob_table[i], so);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A flow's name must be unique: it names its CSV files and its rows in flows.csv. */
static int check_unique(struct loader *ld, const config_setting_t *list, const config_setting_t *s,
			const struct experiment *exp, int i)
{
	int j;

	for (j = 0; j < i; j++) {
		const config_setting_t *first;

		if (strcmp(exp->flows[j].name, exp->flows[i].name) != 0)
			continue;
		first = config_setting_get_member(config_setting_get_elem(list, j), "name");
		return fail(ld, s, "duplicate flow name \"%s\" (first at line %d)",
			    exp->flows[i].name, setting_line(ld, first));
	}
	return 0;
}

/* The flow's access path, in the units and bounds of link.delay_ms. */
static int load_extra_delay(struct loader *ld, const config_setting_t *g, struct flow_spec *f)
{
	config_setting_t *up = NULL, *down = NULL;
	int r;

	r = get_range(ld, g, "extra_delay_ms", 0, FLOW_EXTRA_DELAY_MS_MAX, 0, &f->extra_delay_ms,
		      &up);
	if (r < 0)
		return r;
	f->extra_delay_down_ms = f->extra_delay_ms;
	r = get_range(ld, g, "extra_delay_down_ms", 0, FLOW_EXTRA_DELAY_MS_MAX, 0,
		      &f->extra_delay_down_ms, &down);
	if (r < 0)
		return r;
	if (up && f->extra_delay_ms > 0)
		f->extra_delay_at = setting_pos(ld, up);
	else if (down && f->extra_delay_down_ms > 0)
		f->extra_delay_at = setting_pos(ld, down);
	return 0;
}

static int load_flow(struct loader *ld, const config_setting_t *list, int i, struct experiment *exp,
		     int *conns)
{
	const config_setting_t *g = config_setting_get_elem(list, i);
	struct flow_spec *f = &exp->flows[i];
	char a[32], b[32];
	config_setting_t *s, *start;
	const char *str;
	long long count;
	int r;

	if (!config_setting_is_group(g))
		return fail(ld, g, "must be a group");
	f->line = setting_line(ld, g);
	r = check_members(ld, g, flow_keys);
	if (r < 0)
		return r;

	r = get_string(ld, g, "name", true, &str, &s);
	if (r < 0)
		return r;
	r = check_name(ld, s, str, sizeof(f->name) - 1, "_-");
	if (r < 0)
		return r;
	snprintf(f->name, sizeof(f->name), "%s", str);
	r = check_unique(ld, list, s, exp, i);
	if (r < 0)
		return r;

	r = get_string(ld, g, "cc", true, &str, &s);
	if (r < 0)
		return r;
	if (ld->known_cc && !words_contain(ld->known_cc, str))
		return fail_unknown_cc(ld, s, str);
	if (!str[0])
		return fail(ld, s, "must not be empty");
	if (strlen(str) >= sizeof(f->cc))
		return fail(ld, s, "must be at most %zu characters (got %zu)", sizeof(f->cc) - 1,
			    strlen(str));
	snprintf(f->cc, sizeof(f->cc), "%s", str);

	r = load_cmds(ld, g, f);
	if (r < 0)
		return r;

	/* A cmd flow counts as one connection in the budget: its program's are not ours. */
	r = get_int(ld, g, "count", false, 1, CFG_MAX_CONNS, &count, &s);
	if (r < 0)
		return r;
	if (r > 0 && f->cmd[0])
		return fail(ld, s,
			    "count does not apply to a cmd flow: the program opens its own "
			    "connections");
	if (r > 0)
		f->count = (int)count;
	if (check_cmd_server(ld, g, f) < 0)
		return -EINVAL;
	*conns += f->count;
	if (*conns > CFG_MAX_CONNS)
		return fail(ld, r > 0 ? s : g,
			    "total connections over all flows must be at most %d (got %d)",
			    CFG_MAX_CONNS, *conns);

	r = get_number(ld, g, "start_s", false, &f->start_s, &start);
	if (r < 0)
		return r;
	if (f->start_s < 0)
		return fail(ld, start, "must be >= 0 (got %s)", num_str(f->start_s, a, sizeof(a)));
	if (f->start_s >= exp->duration_s)
		return fail(ld, start, "start_s (%s) must be before experiment.duration_s (%s)",
			    num_str(f->start_s, a, sizeof(a)),
			    num_str(exp->duration_s, b, sizeof(b)));

	f->stop_s = exp->duration_s;
	r = get_number(ld, g, "stop_s", false, &f->stop_s, &s);
	if (r < 0)
		return r;
	if (r > 0 && !(f->stop_s > f->start_s))
		return fail(ld, s, "stop_s (%s) must be after start_s (%s)",
			    num_str(f->stop_s, a, sizeof(a)), num_str(f->start_s, b, sizeof(b)));
	if (r > 0 && f->stop_s > exp->duration_s)
		return fail(ld, s, "stop_s (%s) must not be after experiment.duration_s (%s)",
			    num_str(f->stop_s, a, sizeof(a)),
			    num_str(exp->duration_s, b, sizeof(b)));

	r = load_extra_delay(ld, g, f);
	if (r < 0)
		return r;
	if (f->extra_delay_ms > 0 || f->extra_delay_down_ms > 0)
		exp->link.flow_delay = true;
	return load_sockops(ld, g, &f->sockops);
}

static int load_flows(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *list;
	int conns = 0, n, i, r;

	r = member(ld, root, "flows", true, &list);
	if (r < 0)
		return r;
	if (!config_setting_is_list(list))
		return fail(ld, list, "must be a list of groups");
	n = config_setting_length(list);
	if (n < 1 || n > CFG_MAX_FLOWS)
		return fail(ld, list, "must have between 1 and %d flows (got %d)", CFG_MAX_FLOWS,
			    n);
	for (i = 0; i < n; i++) {
		r = load_flow(ld, list, i, exp, &conns);
		if (r < 0)
			return r;
		exp->nflows = i + 1;
	}
	return 0;
}

const char *collect_level_name(enum collect_level level)
{
	switch (level) {
	case COLLECT_NONE:
		return "none";
	case COLLECT_ALL:
		return "all";
	default:
		return "default";
	}
}

static int load_collect(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *g, *s;
	enum collect_level lv;
	const char *str;
	bool b;
	long long v;
	int r;

	r = get_group(ld, root, "collect", false, &g);
	if (r <= 0)
		return r;
	r = check_members(ld, g, collect_keys);
	if (r < 0)
		return r;
	r = get_string(ld, g, "level", false, &str, &s);
	if (r < 0)
		return r;
	if (r > 0) {
		for (lv = COLLECT_DEFAULT; lv <= COLLECT_ALL; lv++)
			if (strcmp(str, collect_level_name(lv)) == 0)
				break;
		if (lv > COLLECT_ALL)
			return fail(ld, s, "must be \"none\", \"default\" or \"all\" (got \"%s\")",
				    str);
		exp->collect.level = lv;
	}
	/* "all" only changes the defaults: a setting written next to it wins. */
	if (exp->collect.level == COLLECT_ALL) {
		exp->collect.sample_interval_ms = 1;
		exp->collect.rtt_samples = true;
	}
	r = get_int(ld, g, "sample_interval_ms", false, 1, 10000, &v, &s);
	if (r < 0)
		return r;
	if (r > 0)
		exp->collect.sample_interval_ms = (int)v;
	r = get_bool(ld, g, "rtt_samples", false, &b, &s);
	if (r < 0)
		return r;
	if (r > 0)
		exp->collect.rtt_samples = b;
	/* With "none" the program asks the kernel for no RTT callbacks. */
	if (r > 0 && exp->collect.rtt_samples && exp->collect.level == COLLECT_NONE)
		return fail(ld, s, "cannot be true with level = \"none\"");
	r = get_int(ld, g, "ringbuf_kb", false, RINGBUF_KB_MIN, RINGBUF_KB_MAX, &v, &s);
	if (r < 0)
		return r;
	/* The kernel takes only a power-of-2 ring buffer: refuse it here, before any BPF. */
	if (r > 0 && (v & (v - 1)))
		return fail(ld, s, "must be a power of 2 (got %lld)", v);
	if (r > 0)
		exp->collect.ringbuf_kb = (int)v;
	return 0;
}

/* Checked here so a typo fails before the run; `ccexp plot` reads it from the saved config. */
static int check_plots(struct loader *ld, const config_setting_t *root)
{
	config_setting_t *g, *s;
	char a[32];
	long long v;
	double w;
	int r;

	r = get_group(ld, root, "plots", false, &g);
	if (r <= 0)
		return r;
	r = check_members(ld, g, plots_keys);
	if (r < 0)
		return r;
	r = get_int(ld, g, "per_connection_max", false, 1, 1000, &v, &s);
	if (r < 0)
		return r;
	r = get_number(ld, g, "goodput_window_ms", false, &w, &s);
	if (r < 0)
		return r;
	if (r > 0 && !(w >= 0 && w <= 60000))
		return fail(ld, s, "must be 0..60000 (got %s)", num_str(w, a, sizeof(a)));
	/* The formats of `ccexp compare`'s charts (docs/compare.md) */
	s = config_setting_get_member(g, "formats");
	if (!s)
		return 0;
	if (!config_setting_is_array(s) || config_setting_length(s) == 0)
		return fail(ld, s, "must be an array of formats, e.g. [\"png\", \"pdf\"]");
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *f = config_setting_get_string_elem(s, i);

		if (!f || !*f || !words_contain("png svg pdf", f))
			return fail(ld, s, "%s%s%s: unknown format (png, svg, pdf)", f ? "\"" : "",
				    f ? f : "not a string", f ? "\"" : "");
	}
	return 0;
}

/* Checked here so a typo fails before the run; the summary reads it from the saved config. */
static int check_summary(struct loader *ld, const config_setting_t *root,
			 const struct experiment *exp)
{
	config_setting_t *g, *s;
	char a[32], b[32];
	double v;
	int r;

	r = get_group(ld, root, "summary", false, &g);
	if (r <= 0)
		return r;
	r = check_members(ld, g, summary_keys);
	if (r < 0)
		return r;
	r = get_number(ld, g, "warmup_s", false, &v, &s);
	if (r <= 0)
		return r;
	if (!(v >= 0))
		return fail(ld, s, "must be >= 0 (got %s)", num_str(v, a, sizeof(a)));
	if (v >= exp->duration_s)
		return fail(ld, s, "warmup_s (%s) must be less than experiment.duration_s (%s)",
			    num_str(v, a, sizeof(a)), num_str(exp->duration_s, b, sizeof(b)));
	return 0;
}

static void experiment_defaults(struct experiment *exp)
{
	int i;

	memset(exp, 0, sizeof(*exp));
	exp->seed = DEFAULT_SEED;
	exp->repeat = 1;
	exp->link.queue_pkts = LINK_QUEUE_PKTS_DEFAULT;
	exp->link.ge_loss_bad = 1.0;
	exp->link.codel_target_ms = DEFAULT_CODEL_TARGET_MS;
	exp->link.codel_interval_ms = DEFAULT_CODEL_INTERVAL_MS;
	exp->collect.sample_interval_ms = DEFAULT_SAMPLE_INTERVAL_MS;
	/* Unset knobs stay all zero: sides 0 is "not set". */
	for (i = 0; i < CFG_MAX_FLOWS; i++)
		exp->flows[i].count = DEFAULT_COUNT;
}

static int load(struct loader *ld, struct experiment *exp)
{
	config_setting_t *root;
	config_t cfg;
	int r;

	config_init(&cfg);
	if (!config_read_string(&cfg, ld->text->text)) {
		struct cfg_origin o = cfg_text_origin(ld->text, config_error_line(&cfg));
		const char *text = config_error_text(&cfg) ? config_error_text(&cfg) : "";
		const char *file = ld->text->files[o.file];

		/* bison's own message is just "syntax error": do not say it twice. */
		if (strcmp(text, "syntax error") == 0)
			snprintf(ld->err, ld->errlen, "%s:%d: syntax error", file, o.line);
		else
			snprintf(ld->err, ld->errlen, "%s:%d: syntax error: %s", file, o.line,
				 text);
		r = -EINVAL;
		goto out;
	}
	root = config_root_setting(&cfg);
	r = cfg_bind_ints(ld, root);
	if (!r)
		r = check_members(ld, root, top_keys);
	if (!r)
		r = load_experiment(ld, root, exp);
	if (!r)
		r = load_link(ld, root, exp);
	if (!r)
		r = load_flows(ld, root, exp);
	if (!r)
		r = load_collect(ld, root, exp);
	if (!r)
		r = load_hosts(ld, root, exp);
	if (!r)
		r = check_plots(ld, root);
	if (!r)
		r = check_summary(ld, root, exp);
	if (!r)
		r = load_sweep(ld, root, exp);
out:
	config_destroy(&cfg);
	return r;
}

/* The files the messages of link_spec_check() and config_err_at() name. */
static int keep_files(struct loader *ld, struct experiment *exp)
{
	for (int i = 0; i < ld->text->nfiles; i++) {
		int n = snprintf(exp->files[i], sizeof(exp->files[i]), "%s", ld->text->files[i]);

		if (n < 0 || n >= (int)sizeof(exp->files[i])) {
			snprintf(ld->err, ld->errlen, "%s: path too long", ld->text->files[i]);
			return -ENAMETOOLONG;
		}
	}
	exp->nfiles = ld->text->nfiles;
	exp->text_hash = cfg_text_hash(ld->text);
	return 0;
}

/*
 * A NULL known_cc skips the availability check, for reading a config saved on another
 * host (the results of a past run), where this kernel's list does not matter.
 */
int config_load(const char *path, const char *known_cc, struct experiment *exp, char *err,
		size_t errlen)
{
	char scratch[1];
	struct loader ld = {
	    .path = path,
	    .known_cc = known_cc,
	    .err = err && errlen ? err : scratch,
	    .errlen = err && errlen ? errlen : sizeof(scratch),
	};
	struct cfg_text text;
	int r;

	experiment_defaults(exp);
	ld.err[0] = '\0';
	ld.text = &text;
	r = cfg_text_read(&text, path, ld.err, ld.errlen);
	if (!r)
		r = load(&ld, exp);
	if (!r)
		r = keep_files(&ld, exp);
	cfg_text_free(&text);
	/* A half-filled experiment must not pass for a valid one. */
	if (r < 0)
		experiment_defaults(exp);
	return r;
}

int config_save(const struct experiment *exp, const char *path, const char *out_path)
{
	struct cfg_text text;
	char err[512];
	int r;

	r = cfg_text_read(&text, path, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		goto out;
	}
	if (cfg_text_hash(&text) != exp->text_hash) {
		log_err("%s (or a file it includes) changed after it was read: the saved copy "
			"would not be the config that runs",
			path);
		r = -ESTALE;
		goto out;
	}
	/* Whole or not at all, and a full disk reported as ENOSPC. */
	r = path_replace_file(out_path, text.text, text.len);
out:
	cfg_text_free(&text);
	return r;
}

int config_err_at(const struct experiment *exp, struct cfg_pos at, const char *setting, char *err,
		  size_t errlen, const char *fmt, ...)
{
	const char *file = at.file >= 0 && at.file < exp->nfiles ? exp->files[at.file] : "?";
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%d: %s: ", file, at.line, setting);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int experiment_conns(const struct experiment *exp)
{
	int conns = 0, i;

	for (i = 0; i < exp->nflows; i++)
		conns += exp->flows[i].count;
	return conns;
}
