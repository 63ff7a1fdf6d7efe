/* The config's link section: each setting read and checked against the others (what the
 * backend can do is link_spec_check()'s part, in link/). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfg_read.h"

#define DELAY_MS_MAX	10000.0
#define QUEUE_MIN_BYTES 1500  /* a queue_bdp queue holds at least one packet */
#define PKT_BYTES	1500  /* queue_pkts of a byte limit: full-sized IP packets */
#define CODEL_MS_MIN	0.001 /* 1 us: the emulator counts ns, and 0 means default */
#define CODEL_MS_MAX	10000.0

/* docs/config.md's order: settings are read, and problems found, in this order. */
static const char *const link_setting_names[LINK_SET_MAX + 1] = {
    [LINK_SET_BACKEND] = "backend",
    [LINK_SET_RATE] = "rate_mbit",
    [LINK_SET_TRACE_UP] = "trace_up",
    [LINK_SET_RATE_DOWN] = "rate_down_mbit",
    [LINK_SET_TRACE_DOWN] = "trace_down",
    [LINK_SET_DELAY] = "delay_ms",
    [LINK_SET_DELAY_DOWN] = "delay_down_ms",
    [LINK_SET_JITTER] = "jitter_ms",
    [LINK_SET_JITTER_REORDER] = "jitter_reorder",
    [LINK_SET_LOSS_MODEL] = "loss_model",
    [LINK_SET_LOSS] = "loss",
    [LINK_SET_LOSS_DOWN] = "loss_down",
    [LINK_SET_GE_P] = "ge_p",
    [LINK_SET_GE_R] = "ge_r",
    [LINK_SET_GE_LOSS_GOOD] = "ge_loss_good",
    [LINK_SET_GE_LOSS_BAD] = "ge_loss_bad",
    [LINK_SET_QUEUE_PKTS] = "queue_pkts",
    [LINK_SET_QUEUE_BYTES] = "queue_bytes",
    [LINK_SET_QUEUE_BDP] = "queue_bdp",
    [LINK_SET_QUEUE] = "queue",
    [LINK_SET_CODEL_TARGET] = "codel_target_ms",
    [LINK_SET_CODEL_INTERVAL] = "codel_interval_ms",
    [LINK_SET_CAPTURE] = "capture",
    [LINK_SET_MAX] = NULL,
};
static const char *const backend_names[LINK_BACKEND_MAX] = {
    [LINK_BACKEND_AUTO] = "auto", [LINK_BACKEND_NETEM] = "netem", [LINK_BACKEND_TUN] = "tun",
    [LINK_BACKEND_TC] = "tc",	  [LINK_BACKEND_NONE] = "none",
};
static const char *const loss_model_names[LINK_LOSS_MAX] = {
    [LINK_LOSS_BERNOULLI] = "bernoulli",
    [LINK_LOSS_GILBERT_ELLIOTT] = "gilbert-elliott",
};
static const char *const queue_names[LINK_QUEUE_MAX] = {
    [LINK_QUEUE_DROPTAIL] = "droptail",
    [LINK_QUEUE_CODEL] = "codel",
};
static const char *const capture_names[LINK_CAPTURE_MAX] = {
    [LINK_CAPTURE_NONE] = "none",
    [LINK_CAPTURE_HEADERS] = "headers",
    [LINK_CAPTURE_FULL] = "full",
};

/*
 * A trace path is relative to the config file's directory, so that a config and its traces
 * move together; it is stored absolute (symbolic links resolved when it exists), since the
 * run does not start there. link_spec_check() opens it and reads its content.
 */
static int resolve_trace(struct loader *ld, const config_setting_t *s, const char *v, char *out)
{
	const char *slash = strrchr(ld->path, '/');
	int dir_len = slash ? (int)(slash - ld->path + 1) : 0;
	char joined[PATH_MAX], cwd[PATH_MAX] = "";
	int n;

	if (!v[0])
		return fail(ld, s, "must not be empty");
	if (v[0] == '/') {
		n = snprintf(joined, sizeof(joined), "%s", v);
	} else {
		if (ld->path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
			return fail(ld, s, "cannot resolve \"%s\": %s", v, strerror(errno));
		n = snprintf(joined, sizeof(joined), "%s%s%.*s%s", cwd,
			     cwd[0] && cwd[strlen(cwd) - 1] != '/' ? "/" : "", dir_len, ld->path,
			     v);
	}
	if (n < 0 || n >= (int)sizeof(joined))
		return fail(ld, s, "path too long (at most %d characters)", PATH_MAX - 1);
	if (!realpath(joined, out))
		memcpy(out, joined, (size_t)n + 1);
	return 0;
}

/* trace_up or trace_down: excludes the rate of its direction. */
static int load_trace(struct loader *ld, const config_setting_t *g, const char *name,
		      const config_setting_t *rate, char *out, bool *given)
{
	config_setting_t *s;
	const char *str;
	int r;

	*given = false;
	r = get_string(ld, g, name, false, &str, &s);
	if (r <= 0)
		return r;
	if (rate)
		return fail(ld, s, "excludes %s (give one of them)", config_setting_name(rate));
	*given = true;
	return resolve_trace(ld, s, str, out);
}

static int load_link_rates(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *rate;
	bool trace_up, trace_down;
	char got[32];
	int r;

	r = get_range(ld, g, "rate_mbit", LINK_RATE_MBIT_MIN, LINK_RATE_MBIT_MAX, 0, &l->rate_mbit,
		      &rate);
	if (r < 0)
		return r;
	r = load_trace(ld, g, "trace_up", rate, l->trace_up, &trace_up);
	if (r < 0)
		return r;
	if (!rate && !trace_up && l->backend != LINK_BACKEND_NONE)
		return fail_missing_because(ld, g, "rate_mbit",
					    "required unless trace_up is given");

	r = get_number(ld, g, "rate_down_mbit", false, &l->rate_down_mbit, &rate);
	if (r < 0)
		return r;
	if (r > 0 && l->rate_down_mbit != 0 &&
	    !(l->rate_down_mbit >= LINK_RATE_MBIT_MIN && l->rate_down_mbit <= LINK_RATE_MBIT_MAX))
		return fail(ld, rate, "must be 0 (not limited) or between 0.01 and 100000 (got %s)",
			    num_str(l->rate_down_mbit, got, sizeof(got)));
	return load_trace(ld, g, "trace_down", rate, l->trace_down, &trace_down);
}

static int load_link_delays(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *s;
	int r;

	r = get_range(ld, g, "delay_ms", 0, DELAY_MS_MAX, 0, &l->delay_ms, &s);
	if (r < 0)
		return r;
	l->delay_down_ms = l->delay_ms;
	r = get_range(ld, g, "delay_down_ms", 0, DELAY_MS_MAX, 0, &l->delay_down_ms, &s);
	if (r < 0)
		return r;
	/* Jitter beyond the delay is allowed: the emulator does not let a delay go below 0. */
	r = get_range(ld, g, "jitter_ms", 0, DELAY_MS_MAX, 0, &l->jitter_ms, &s);
	if (r < 0)
		return r;
	r = get_bool(ld, g, "jitter_reorder", false, &l->jitter_reorder, &s);
	return r < 0 ? r : 0;
}

static int load_link_loss(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	static const char *const ge_why = "required with loss_model = \"gilbert-elliott\"";
	const struct {
		const char *name;
		double *v;
		unsigned int open;
		bool required;
	} ge[] = {
	    {"ge_p", &l->ge_p, MIN_OPEN, true},
	    {"ge_r", &l->ge_r, MIN_OPEN, true},
	    {"ge_loss_good", &l->ge_loss_good, 0, false},
	    {"ge_loss_bad", &l->ge_loss_bad, 0, false},
	};
	config_setting_t *s;
	bool is_ge;
	int model = LINK_LOSS_BERNOULLI;
	int r;

	r = get_enum(ld, g, "loss_model", loss_model_names, LINK_LOSS_MAX, &model, &s);
	l->loss_model = (enum link_loss_model)model;
	is_ge = l->loss_model == LINK_LOSS_GILBERT_ELLIOTT;
	if (r < 0)
		return r;

	r = get_range(ld, g, "loss", 0, 1, MAX_OPEN, &l->loss, &s);
	if (r > 0 && is_ge)
		return fail(ld, s,
			    "not with loss_model = \"gilbert-elliott\" (its loss is ge_loss_good "
			    "and ge_loss_bad)");
	if (r < 0)
		return r;
	r = get_range(ld, g, "loss_down", 0, 1, MAX_OPEN, &l->loss_down, &s);
	if (r < 0)
		return r;

	for (size_t i = 0; i < sizeof(ge) / sizeof(ge[0]); i++) {
		s = config_setting_get_member(g, ge[i].name);
		if (s && !is_ge)
			return fail(ld, s, "only with loss_model = \"gilbert-elliott\"");
		if (!s && is_ge && ge[i].required)
			return fail_missing_because(ld, g, ge[i].name, ge_why);
		r = get_range(ld, g, ge[i].name, 0, 1, ge[i].open, ge[i].v, &s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The limit given: queue_pkts, queue_bytes or queue_bdp, at most one of them. */
static int load_link_limit(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *pkts, *bytes, *s;
	char got[32];
	long long v;
	int r;

	r = get_int(ld, g, "queue_pkts", false, 1, LINK_QUEUE_PKTS_MAX, &v, &pkts);
	if (r < 0)
		return r;
	if (r > 0)
		l->queue_pkts = (int)v;

	r = get_int(ld, g, "queue_bytes", false, 1, LINK_QUEUE_BYTES_MAX, &v, &bytes);
	if (r > 0 && pkts)
		return fail(ld, bytes, "excludes queue_pkts (give one of them)");
	if (r < 0)
		return r;
	if (bytes) {
		l->queue_limit = LINK_QUEUE_BYTES;
		l->queue_bytes = (uint64_t)v;
	}

	r = get_range(ld, g, "queue_bdp", LINK_QUEUE_BDP_MIN, LINK_QUEUE_BDP_MAX, 0, &l->queue_bdp,
		      &s);
	if (r > 0 && (pkts || bytes))
		return fail(ld, s, "excludes %s (give one of them)",
			    pkts ? "queue_pkts" : "queue_bytes");
	if (r < 0)
		return r;
	if (s) {
		if (l->trace_up[0])
			return fail(ld, s,
				    "needs rate_mbit: a trace has no fixed rate to size it by");
		l->queue_limit = LINK_QUEUE_BDP;
		if (link_bdp_bytes(l) > LINK_QUEUE_BYTES_MAX)
			return fail(
			    ld, s,
			    "rate_mbit x (delay_ms + delay_down_ms) x queue_bdp is %s bytes, "
			    "more than %lld",
			    num_str(link_bdp_bytes(l), got, sizeof(got)), LINK_QUEUE_BYTES_MAX);
		l->queue_pkts = (int)ceil(link_bdp_bytes(l) / PKT_BYTES);
	}
	/* Code that counts only packets still gets the byte limit, in full-sized packets. */
	if (bytes)
		l->queue_pkts = (int)((l->queue_bytes + PKT_BYTES - 1) / PKT_BYTES);
	return 0;
}

static int load_link_queue(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	const char *const codel_names[] = {"codel_target_ms", "codel_interval_ms"};
	double *codel[] = {&l->codel_target_ms, &l->codel_interval_ms};
	config_setting_t *s, *last = NULL;
	int queue = LINK_QUEUE_DROPTAIL;
	char a[32], b[32];
	int r;

	r = load_link_limit(ld, g, l);
	if (r < 0)
		return r;
	r = get_enum(ld, g, "queue", queue_names, LINK_QUEUE_MAX, &queue, &s);
	l->queue = (enum link_queue)queue;
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		s = config_setting_get_member(g, codel_names[i]);
		if (s && l->queue != LINK_QUEUE_CODEL)
			return fail(ld, s, "only with queue = \"codel\"");
		r = get_range(ld, g, codel_names[i], CODEL_MS_MIN, CODEL_MS_MAX, 0, codel[i], &s);
		if (r < 0)
			return r;
		if (r > 0)
			last = s;
	}
	if (last && !(l->codel_target_ms < l->codel_interval_ms))
		return fail(ld, last,
			    "codel_target_ms (%s) must be less than codel_interval_ms (%s)",
			    num_str(l->codel_target_ms, a, sizeof(a)),
			    num_str(l->codel_interval_ms, b, sizeof(b)));
	return 0;
}

/* Settings are read in the order of docs/config.md's link table: the first problem wins. */
int load_link(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	struct link_spec *l = &exp->link;
	config_setting_t *g, *s;
	int backend = LINK_BACKEND_AUTO;
	int r;

	r = get_group(ld, root, "link", true, &g);
	if (r < 0)
		return r;
	r = check_members(ld, g, link_setting_names);
	if (r < 0)
		return r;
	r = get_enum(ld, g, "backend", backend_names, LINK_BACKEND_MAX, &backend, &s);
	if (r < 0)
		return r;
	l->backend = (enum link_backend)backend;
	r = load_link_rates(ld, g, l);
	if (!r)
		r = load_link_delays(ld, g, l);
	if (!r)
		r = load_link_loss(ld, g, l);
	if (!r)
		r = load_link_queue(ld, g, l);
	if (!r) {
		int capture = LINK_CAPTURE_NONE;

		r = get_enum(ld, g, "capture", capture_names, LINK_CAPTURE_MAX, &capture, &s);
		l->capture = (enum link_capture)capture;
		r = r < 0 ? r : 0;
	}
	/* For link_spec_check(), which judges the settings by the backend after this. */
	for (int i = 0; i < LINK_SET_MAX && !r; i++) {
		s = config_setting_get_member(g, link_setting_names[i]);
		if (s)
			l->at[i] = setting_pos(ld, s);
	}
	return r;
}

const char *link_backend_name(enum link_backend b)
{
	return (unsigned int)b < LINK_BACKEND_MAX ? backend_names[b] : "?";
}

const char *link_loss_model_name(enum link_loss_model m)
{
	return (unsigned int)m < LINK_LOSS_MAX ? loss_model_names[m] : "?";
}

const char *link_queue_name(enum link_queue q)
{
	return (unsigned int)q < LINK_QUEUE_MAX ? queue_names[q] : "?";
}

const char *link_capture_name(enum link_capture c)
{
	return (unsigned int)c < LINK_CAPTURE_MAX ? capture_names[c] : "?";
}

const char *link_setting_name(enum link_setting s)
{
	return (unsigned int)s < LINK_SET_MAX ? link_setting_names[s] : "?";
}

double link_bdp_bytes(const struct link_spec *l)
{
	double b = l->rate_mbit * 1e6 / 8 * (l->delay_ms + l->delay_down_ms) / 1000 * l->queue_bdp;

	return b < QUEUE_MIN_BYTES ? QUEUE_MIN_BYTES : ceil(b);
}
