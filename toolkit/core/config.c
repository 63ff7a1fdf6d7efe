/* The experiment config: reads a libconfig file and validates all of it before any use. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/knobs.h"

#define DEFAULT_SEED		   1
#define DEFAULT_QUEUE_PKTS	   100
#define DEFAULT_CODEL_TARGET_MS	   5.0
#define DEFAULT_CODEL_INTERVAL_MS  100.0
#define RATE_MBIT_MIN		   0.01
#define RATE_MBIT_MAX		   100000.0
#define DELAY_MS_MAX		   10000.0
#define QUEUE_PKTS_MAX		   1000000
#define QUEUE_BYTES_MAX		   10000000000LL
#define QUEUE_BDP_MIN		   0.01
#define QUEUE_BDP_MAX		   100.0
#define QUEUE_MIN_BYTES		   1500	 /* a queue_bdp queue holds at least one packet */
#define PKT_BYTES		   1500	 /* queue_pkts of a byte limit: full-sized IP packets */
#define CODEL_MS_MIN		   0.001 /* 1 us: the emulator counts ns, and 0 means default */
#define CODEL_MS_MAX		   10000.0
#define DEFAULT_COUNT		   1
#define DEFAULT_SAMPLE_INTERVAL_MS 10
#define MAX_DURATION_S		   86400.0
#define MAX_CONFIG_BYTES	   (1 << 20) /* a config is a few KiB; refuse to slurp a device */
#define PATH_TEXT_MAX		   256
#define KNOWN_TEXT_MAX		   1024 /* "known: ..." lists; the knob names alone are ~200 */
#define RINGBUF_KB_MIN		   64
#define RINGBUF_KB_MAX		   1048576

/* The seed is an unsigned long: 32 bits on some targets, and it must survive the copy. */
#if ULONG_MAX < LLONG_MAX
#define SEED_MAX ((long long)ULONG_MAX)
#else
#define SEED_MAX LLONG_MAX
#endif

struct loader {
	const char *path; /* as the user gave it: every message starts with it */
	const char *text; /* the file's bytes, to re-read integer literals */
	size_t text_len;
	const char *known_cc; /* NULL: any congestion control name is accepted */
	char *err;
	size_t errlen;
};

static const char *const top_keys[] = {"experiment", "link", "flows", "collect", NULL};
static const char *const experiment_keys[] = {"name", "duration_s", "seed", NULL};
static const char *const link_keys[] = {"backend",
					"rate_mbit",
					"trace_up",
					"rate_down_mbit",
					"trace_down",
					"delay_ms",
					"delay_down_ms",
					"jitter_ms",
					"jitter_reorder",
					"loss_model",
					"loss",
					"loss_down",
					"ge_p",
					"ge_r",
					"ge_loss_good",
					"ge_loss_bad",
					"queue_pkts",
					"queue_bytes",
					"queue_bdp",
					"queue",
					"codel_target_ms",
					"codel_interval_ms",
					NULL};
static const char *const flow_keys[] = {"name",	   "cc",     "cmd",	"server_cmd", "count",
					"start_s", "stop_s", "sockops", NULL};
static const char *const knob_group_keys[] = {"value", "side", NULL};
static const char *const collect_keys[] = {"sample_interval_ms", "rtt_samples", "ringbuf_kb", NULL};

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

/*
 * What a link setting asks of the backend, when it is given a value other than its default.
 * The tc backend (tbf + pfifo) is a rate and a queue on the uplink; netem has everything
 * but a trace-driven rate; none has nothing at all.
 */
enum link_feature {
	FEAT_RATE,
	FEAT_RATE_DOWN,
	FEAT_TRACE,
	FEAT_DELAY,
	FEAT_JITTER,
	FEAT_LOSS,
	FEAT_QUEUE,
	FEAT_CODEL,
	FEAT_MAX,
};
static const char *const tc_lacks[FEAT_MAX] = {
    [FEAT_RATE_DOWN] = "limits the uplink only",
    [FEAT_TRACE] = "has no trace-driven rate",
    [FEAT_DELAY] = "has no delay",
    [FEAT_JITTER] = "has no jitter",
    [FEAT_LOSS] = "has no random loss",
    [FEAT_CODEL] = "has no CoDel",
};
/* netem + tbf (toolkit/link/qdisc.c): a droptail FIFO behind a fixed rate. */
static const char *const netem_lacks[FEAT_MAX] = {
    [FEAT_TRACE] = "has no trace-driven rate",
    [FEAT_CODEL] = "has no CoDel (its queue is tbf's droptail FIFO)",
};

/* How get_range() reads its bounds: closed unless told. */
#define MIN_OPEN 1u
#define MAX_OPEN 2u

/* The `side` of a knob's group form, and the sockets it stands for. */
static const struct {
	const char *name;
	unsigned int sides;
} side_names[] = {
    {"sender", CCX_SIDES_SENDER},
    {"receiver", CCX_SIDES_RECEIVER},
    {"both", CCX_SIDES_BOTH},
};

/* What {name} in a flow's cmd or server_cmd stands for; config_expand_cmd() fills them. */
enum placeholder { PH_DST, PH_SRC, PH_PORT, PH_CC, PH_FLOW, PH_DURATION, PH_MAX };
static const char *const placeholder_names[PH_MAX] = {
    [PH_DST] = "dst", [PH_SRC] = "src",	  [PH_PORT] = "port",
    [PH_CC] = "cc",   [PH_FLOW] = "flow", [PH_DURATION] = "duration_s",
};

/* The dotted path a user can search for: flows[1].sockops.syn_rto_ms. */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t n;

	if (!parent || config_setting_is_root(parent)) {
		snprintf(buf, len, "%s", config_setting_name(s) ? config_setting_name(s) : "");
		return;
	}
	setting_path(parent, buf, len);
	n = strlen(buf);
	if (config_setting_is_list(parent) || config_setting_is_array(parent))
		snprintf(buf + n, len - n, "[%d]", config_setting_index(s));
	else
		snprintf(buf + n, len - n, ".%s", config_setting_name(s));
}

/* Settings from an @include'd file carry that file's name; the main file's carry none. */
static const char *setting_file(const struct loader *ld, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);

	return file ? file : ld->path;
}

__attribute__((format(printf, 5, 0))) static void put_err(struct loader *ld, const char *file,
							  int line, const char *where,
							  const char *fmt, va_list ap)
{
	int n;

	n = snprintf(ld->err, ld->errlen, "%s:%d: %s: ", file, line, where);
	if (n >= 0 && (size_t)n < ld->errlen)
		vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
}

__attribute__((format(printf, 3, 4))) static int fail(struct loader *ld, const config_setting_t *s,
						      const char *fmt, ...)
{
	char where[PATH_TEXT_MAX];
	va_list ap;

	setting_path(s, where, sizeof(where));
	va_start(ap, fmt);
	put_err(ld, setting_file(ld, s), config_setting_source_line(s), where, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * A missing setting has no line of its own: point at the group that should hold it, which
 * for a top-level setting is the whole file, starting at line 1.
 */
static int fail_missing_because(struct loader *ld, const config_setting_t *group, const char *name,
				const char *why)
{
	char where[PATH_TEXT_MAX];
	size_t n;

	if (config_setting_is_root(group)) {
		snprintf(ld->err, ld->errlen, "%s:1: %s: missing (%s)", ld->path, name, why);
		return -EINVAL;
	}
	setting_path(group, where, sizeof(where));
	n = strlen(where);
	snprintf(where + n, sizeof(where) - n, ".%s", name);
	snprintf(ld->err, ld->errlen, "%s:%d: %s: missing (%s)", setting_file(ld, group),
		 config_setting_source_line(group), where, why);
	return -EINVAL;
}

static int fail_missing(struct loader *ld, const config_setting_t *group, const char *name)
{
	return fail_missing_because(ld, group, name, "required");
}

/* Doubles in messages look like config floats (2.0, not 2), the way the user wrote them. */
static const char *num_str(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (!strpbrk(buf, ".eEni"))
		strncat(buf, ".0", len - strlen(buf) - 1);
	return buf;
}

/* A typo must not fall back silently to a default, so every member has to be known. */
static int check_members(struct loader *ld, const config_setting_t *group, const char *const *known)
{
	char list[KNOWN_TEXT_MAX];
	int i, k;

	for (i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *m = config_setting_get_elem(group, i);
		const char *name = config_setting_name(m);

		for (k = 0; known[k]; k++)
			if (name && strcmp(name, known[k]) == 0)
				break;
		if (known[k])
			continue;
		list[0] = '\0';
		for (k = 0; known[k]; k++) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "", known[k]);
		}
		return fail(ld, m, "unknown setting (known: %s)", list);
	}
	return 0;
}

/*
 * Looks a member up. Returns 1 when present, 0 when absent and optional, and -EINVAL
 * when absent and required.
 */
static int member(struct loader *ld, const config_setting_t *group, const char *name, bool required,
		  config_setting_t **out)
{
	*out = config_setting_get_member(group, name);
	if (*out)
		return 1;
	return required ? fail_missing(ld, group, name) : 0;
}

static int get_group(struct loader *ld, const config_setting_t *group, const char *name,
		     bool required, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	if (r > 0 && !config_setting_is_group(*out))
		return fail(ld, *out, "must be a group");
	return r;
}

static int get_string(struct loader *ld, const config_setting_t *group, const char *name,
		      bool required, const char **v, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	*v = NULL;
	if (r <= 0)
		return r;
	if (config_setting_type(*out) != CONFIG_TYPE_STRING)
		return fail(ld, *out, "must be a string");
	*v = config_setting_get_string(*out);
	return 1;
}

static const char *line_start(const char *text, int line)
{
	while (--line > 0 && text) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return text;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

/*
 * libconfig 1.5 keeps an integer written without the L suffix in 32 bits and wraps larger
 * ones without a word: seed = 4294967297 would read as 1. So the literal is read again
 * from the setting's line; it is used when it wraps to what libconfig stored (which tells
 * it apart from the same name in a comment or another group), libconfig's value otherwise.
 */
static long long int_value(const struct loader *ld, const config_setting_t *s)
{
	long long stored = config_setting_get_int64(s);
	const char *name = config_setting_name(s);
	const char *p, *end;
	size_t len;

	if (config_setting_type(s) != CONFIG_TYPE_INT || config_setting_source_file(s) || !name)
		return stored;
	p = line_start(ld->text, config_setting_source_line(s));
	len = strlen(name);
	end = p ? strchr(p, '\n') : NULL;
	if (!end && p)
		end = p + strlen(p);
	for (; p && p < end && (p = memmem(p, end - p, name, len)); p += len) {
		const char *q = p + len;
		const char *digits;
		char *after;
		long long v;

		if ((p > ld->text && is_name_char(p[-1])) || is_name_char(*q))
			continue;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		while (isspace((unsigned char)*q))
			q++;
		digits = q + (*q == '-' || *q == '+');
		if (!isdigit((unsigned char)*digits))
			continue;
		errno = 0;
		/* Not base 0: libconfig reads 010 as ten, not as octal. */
		v = strtoll(q, &after, strncasecmp(digits, "0x", 2) == 0 ? 16 : 10);
		if (*after == '.' || *after == 'e' || *after == 'E')
			continue;
		if (errno == ERANGE || (unsigned int)v == (unsigned int)stored)
			return v;
	}
	return stored;
}

/* Integers are numbers too: rate_mbit = 50 means 50.0. */
static int get_number(struct loader *ld, const config_setting_t *group, const char *name,
		      bool required, double *v, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	if (r <= 0)
		return r;
	switch (config_setting_type(*out)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*v = (double)int_value(ld, *out);
		return 1;
	case CONFIG_TYPE_FLOAT:
		*v = config_setting_get_float(*out);
		return 1;
	default:
		return fail(ld, *out, "must be a number");
	}
}

static int get_bool(struct loader *ld, const config_setting_t *group, const char *name,
		    bool required, bool *v, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	*v = false;
	if (r <= 0)
		return r;
	if (config_setting_type(*out) != CONFIG_TYPE_BOOL)
		return fail(ld, *out, "must be true or false");
	*v = config_setting_get_bool(*out);
	return 1;
}

/* Floats are refused where a count or a time in ms is meant: 1.5 packets is a mistake. */
static int get_int(struct loader *ld, const config_setting_t *group, const char *name,
		   bool required, long long min, long long max, long long *v,
		   config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	if (r <= 0)
		return r;
	if (config_setting_type(*out) != CONFIG_TYPE_INT &&
	    config_setting_type(*out) != CONFIG_TYPE_INT64)
		return fail(ld, *out, "must be an integer");
	*v = int_value(ld, *out);
	if (*v >= min && *v <= max)
		return 1;
	if (max == LLONG_MAX)
		return fail(ld, *out, "must be >= %lld (got %lld)", min, *v);
	return fail(ld, *out, "must be between %lld and %lld (got %lld)", min, max, *v);
}

/* Names end up in directory and file names, so they keep to a portable character set. */
static int check_name(struct loader *ld, const config_setting_t *s, const char *v, size_t max,
		      const char *punct)
{
	size_t len = strlen(v), i, n = 0;
	char allowed[16];

	for (i = 0; punct[i] && n + 3 < sizeof(allowed); i++) {
		allowed[n++] = ' ';
		allowed[n++] = punct[i];
	}
	allowed[n] = '\0';
	if (!len)
		return fail(ld, s, "must not be empty");
	if (len > max)
		return fail(ld, s, "must be at most %zu characters (got %zu)", max, len);
	for (i = 0; i < len; i++) {
		unsigned char c = v[i];

		if (isalnum(c) || strchr(punct, c))
			continue;
		if (isprint(c))
			return fail(ld, s,
				    "invalid character '%c' in \"%s\" (allowed: A-Z a-z 0-9%s)", c,
				    v, allowed);
		return fail(ld, s, "invalid character '\\x%02x' (allowed: A-Z a-z 0-9%s)", c,
			    allowed);
	}
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return fail(ld, s, "must not be \".\" or \"..\"");
	return 0;
}

/* known_cc may come straight from /proc, with a trailing newline: any blank separates. */
static bool cc_known(const char *known, const char *cc)
{
	size_t len = strlen(cc);
	const char *p = known;

	while (*p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n && n == len && strncmp(p, cc, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static int fail_unknown_cc(struct loader *ld, const config_setting_t *s, const char *cc)
{
	char avail[1024] = "";
	const char *p = ld->known_cc;

	while (*p) {
		size_t n, used = strlen(avail);

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n)
			snprintf(avail + used, sizeof(avail) - used, "%s%.*s", used ? " " : "",
				 (int)n, p);
		p += n;
	}
	return fail(ld, s, "unknown congestion control \"%s\" (available: %s)", cc,
		    avail[0] ? avail : "none");
}

static int load_experiment(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *g, *s;
	const char *name;
	long long seed;
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
	return 0;
}

/* A number within bounds, each closed unless `open` says (MIN_OPEN, MAX_OPEN). */
static int get_range(struct loader *ld, const config_setting_t *group, const char *name, double min,
		     double max, unsigned int open, double *v, config_setting_t **out)
{
	char a[32], b[32], got[32];
	bool ok;
	int r;

	r = get_number(ld, group, name, false, v, out);
	if (r <= 0)
		return r;
	ok = (open & MIN_OPEN ? *v > min : *v >= min) && (open & MAX_OPEN ? *v < max : *v <= max);
	if (ok)
		return 1;
	snprintf(a, sizeof(a), "%.15g", min);
	snprintf(b, sizeof(b), "%.15g", max);
	num_str(*v, got, sizeof(got));
	if (!open)
		return fail(ld, *out, "must be between %s and %s (got %s)", a, b, got);
	return fail(ld, *out, "must be %s %s and %s %s (got %s)", open & MIN_OPEN ? ">" : ">=", a,
		    open & MAX_OPEN ? "<" : "<=", b, got);
}

/* One of `n` names, stored as its index: `must be "a", "b" or "c" (got "d")`. */
static int get_enum(struct loader *ld, const config_setting_t *group, const char *name,
		    const char *const *names, int n, int *v, config_setting_t **out)
{
	char list[KNOWN_TEXT_MAX] = "";
	const char *str;
	size_t used = 0;
	int i, r;

	r = get_string(ld, group, name, false, &str, out);
	if (r <= 0)
		return r;
	for (i = 0; i < n; i++) {
		if (strcmp(str, names[i]) == 0) {
			*v = i;
			return 1;
		}
	}
	for (i = 0; i < n && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
				 i == 0	     ? ""
				 : i + 1 < n ? ", "
					     : " or ",
				 names[i]);
	return fail(ld, *out, "must be %s (got \"%s\")", list, str);
}

/* A setting that asks for `f` on a backend without it is refused here, before any run. */
static int check_backend(struct loader *ld, const config_setting_t *s, enum link_backend b,
			 enum link_feature f)
{
	switch (b) {
	case LINK_BACKEND_NONE:
		return fail(
		    ld, s, "backend = \"none\" emulates nothing; remove it or use another backend");
	case LINK_BACKEND_TC:
		if (!tc_lacks[f])
			return 0;
		return fail(ld, s, "the tc backend %s; use backend = \"tun\"%s", tc_lacks[f],
			    netem_lacks[f] ? "" : " or \"netem\"");
	case LINK_BACKEND_NETEM:
		if (!netem_lacks[f])
			return 0;
		return fail(ld, s, "netem %s; use backend = \"tun\"", netem_lacks[f]);
	default:
		return 0;
	}
}

/*
 * A trace path is relative to the config file's directory, so that a config and its traces
 * move together; it is stored absolute, since the run does not start there. Only its
 * presence is checked here: the emulator's loader reads and checks its content.
 */
static int resolve_trace(struct loader *ld, const config_setting_t *s, const char *v, char *out)
{
	const char *slash = strrchr(ld->path, '/');
	int dir_len = slash ? (int)(slash - ld->path + 1) : 0;
	char joined[PATH_MAX], cwd[PATH_MAX] = "";
	struct stat st;
	int n, fd, err;

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
	/* O_NONBLOCK: a FIFO must not hang the check; it is refused below anyway. */
	fd = open(joined, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(ld, s, "cannot read \"%s\": %s", joined, strerror(errno));
	err = fstat(fd, &st) < 0 ? errno : 0;
	close(fd);
	if (!err && S_ISDIR(st.st_mode))
		err = EISDIR;
	if (err)
		return fail(ld, s, "cannot read \"%s\": %s", joined, strerror(err));
	if (!S_ISREG(st.st_mode))
		return fail(ld, s, "cannot read \"%s\": not a regular file", joined);
	if (!realpath(joined, out))
		return fail(ld, s, "cannot read \"%s\": %s", joined, strerror(errno));
	return 0;
}

/* trace_up or trace_down: excludes the rate of its direction. */
static int load_trace(struct loader *ld, const config_setting_t *g, const char *name,
		      const config_setting_t *rate, enum link_backend b, char *out, bool *given)
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
	r = check_backend(ld, s, b, FEAT_TRACE);
	if (r < 0)
		return r;
	*given = true;
	return resolve_trace(ld, s, str, out);
}

static int load_link_rates(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *rate;
	bool trace_up, trace_down;
	char got[32];
	int r;

	r = get_range(ld, g, "rate_mbit", RATE_MBIT_MIN, RATE_MBIT_MAX, 0, &l->rate_mbit, &rate);
	if (r > 0)
		r = check_backend(ld, rate, l->backend, FEAT_RATE);
	if (r < 0)
		return r;
	r = load_trace(ld, g, "trace_up", rate, l->backend, l->trace_up, &trace_up);
	if (r < 0)
		return r;
	if (!rate && !trace_up && l->backend != LINK_BACKEND_NONE)
		return fail_missing_because(ld, g, "rate_mbit",
					    "required unless trace_up is given");

	r = get_number(ld, g, "rate_down_mbit", false, &l->rate_down_mbit, &rate);
	if (r < 0)
		return r;
	if (r > 0 && l->rate_down_mbit != 0 &&
	    !(l->rate_down_mbit >= RATE_MBIT_MIN && l->rate_down_mbit <= RATE_MBIT_MAX))
		return fail(ld, rate, "must be 0 (not limited) or between 0.01 and 100000 (got %s)",
			    num_str(l->rate_down_mbit, got, sizeof(got)));
	if (r > 0 && l->rate_down_mbit > 0) {
		r = check_backend(ld, rate, l->backend, FEAT_RATE_DOWN);
		if (r < 0)
			return r;
	}
	return load_trace(ld, g, "trace_down", rate, l->backend, l->trace_down, &trace_down);
}

static int load_link_delays(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *s;
	int r;

	r = get_range(ld, g, "delay_ms", 0, DELAY_MS_MAX, 0, &l->delay_ms, &s);
	if (r > 0 && l->delay_ms > 0)
		r = check_backend(ld, s, l->backend, FEAT_DELAY);
	if (r < 0)
		return r;
	l->delay_down_ms = l->delay_ms;
	r = get_range(ld, g, "delay_down_ms", 0, DELAY_MS_MAX, 0, &l->delay_down_ms, &s);
	if (r > 0 && l->delay_down_ms > 0)
		r = check_backend(ld, s, l->backend, FEAT_DELAY);
	if (r < 0)
		return r;
	/* Jitter beyond the delay is allowed: the emulator does not let a delay go below 0. */
	r = get_range(ld, g, "jitter_ms", 0, DELAY_MS_MAX, 0, &l->jitter_ms, &s);
	if (r > 0 && l->jitter_ms > 0)
		r = check_backend(ld, s, l->backend, FEAT_JITTER);
	if (r < 0)
		return r;
	if (l->backend == LINK_BACKEND_NETEM && l->jitter_ms > LINK_NETEM_JITTER_MAX_MS)
		return fail(ld, s, "netem takes at most %.6f ms of jitter; use backend = \"tun\"",
			    LINK_NETEM_JITTER_MAX_MS);
	r = get_bool(ld, g, "jitter_reorder", false, &l->jitter_reorder, &s);
	if (r > 0 && l->jitter_reorder)
		r = check_backend(ld, s, l->backend, FEAT_JITTER);
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
	if (r > 0 && is_ge)
		r = check_backend(ld, s, l->backend, FEAT_LOSS);
	if (r < 0)
		return r;

	r = get_range(ld, g, "loss", 0, 1, MAX_OPEN, &l->loss, &s);
	if (r > 0 && is_ge)
		return fail(ld, s,
			    "not with loss_model = \"gilbert-elliott\" (its loss is ge_loss_good "
			    "and ge_loss_bad)");
	if (r > 0 && l->loss > 0)
		r = check_backend(ld, s, l->backend, FEAT_LOSS);
	if (r < 0)
		return r;
	r = get_range(ld, g, "loss_down", 0, 1, MAX_OPEN, &l->loss_down, &s);
	if (r > 0 && l->loss_down > 0)
		r = check_backend(ld, s, l->backend, FEAT_LOSS);
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

static double bdp_bytes(const struct link_spec *l)
{
	double b = l->rate_mbit * 1e6 / 8 * (l->delay_ms + l->delay_down_ms) / 1000 * l->queue_bdp;

	return b < QUEUE_MIN_BYTES ? QUEUE_MIN_BYTES : ceil(b);
}

/* The limit given: queue_pkts, queue_bytes or queue_bdp, at most one of them. */
static int load_link_limit(struct loader *ld, const config_setting_t *g, struct link_spec *l)
{
	config_setting_t *pkts, *bytes, *s;
	char got[32];
	uint32_t lim_pkts;
	uint64_t lim_bytes;
	long long v;
	int r;

	r = get_int(ld, g, "queue_pkts", false, 1, QUEUE_PKTS_MAX, &v, &pkts);
	if (r > 0)
		l->queue_pkts = (int)v;
	if (r > 0 && v != DEFAULT_QUEUE_PKTS)
		r = check_backend(ld, pkts, l->backend, FEAT_QUEUE);
	if (r < 0)
		return r;

	r = get_int(ld, g, "queue_bytes", false, 1, QUEUE_BYTES_MAX, &v, &bytes);
	if (r > 0 && pkts)
		return fail(ld, bytes, "excludes queue_pkts (give one of them)");
	if (r > 0)
		r = check_backend(ld, bytes, l->backend, FEAT_QUEUE);
	if (r < 0)
		return r;
	if (bytes) {
		l->queue_limit = LINK_QUEUE_BYTES;
		l->queue_bytes = (uint64_t)v;
	}

	r = get_range(ld, g, "queue_bdp", QUEUE_BDP_MIN, QUEUE_BDP_MAX, 0, &l->queue_bdp, &s);
	if (r > 0 && (pkts || bytes))
		return fail(ld, s, "excludes %s (give one of them)",
			    pkts ? "queue_pkts" : "queue_bytes");
	if (r > 0)
		r = check_backend(ld, s, l->backend, FEAT_QUEUE);
	if (r < 0)
		return r;
	if (s) {
		if (l->trace_up[0])
			return fail(ld, s,
				    "needs rate_mbit: a trace has no fixed rate to size it by");
		l->queue_limit = LINK_QUEUE_BDP;
		if (bdp_bytes(l) > QUEUE_BYTES_MAX)
			return fail(
			    ld, s,
			    "rate_mbit x (delay_ms + delay_down_ms) x queue_bdp is %s bytes, "
			    "more than %lld",
			    num_str(bdp_bytes(l), got, sizeof(got)), QUEUE_BYTES_MAX);
	}
	/* Code that counts only packets still gets the byte limit, in full-sized packets. */
	if (link_queue_limits(l, &lim_pkts, &lim_bytes) < 0)
		return fail(ld, g, "no queue limit (a bug)");
	if (!lim_pkts)
		l->queue_pkts = (int)((lim_bytes + PKT_BYTES - 1) / PKT_BYTES);
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
	if (r > 0 && l->queue == LINK_QUEUE_CODEL)
		r = check_backend(ld, s, l->backend, FEAT_CODEL);
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
static int load_link(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	struct link_spec *l = &exp->link;
	config_setting_t *g, *s;
	int backend = LINK_BACKEND_AUTO;
	int r;

	r = get_group(ld, root, "link", true, &g);
	if (r < 0)
		return r;
	r = check_members(ld, g, link_keys);
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
	return r;
}

const char *link_netem_lacks(const struct link_spec *l)
{
	if (l->trace_up[0] || l->trace_down[0])
		return netem_lacks[FEAT_TRACE];
	if (l->queue == LINK_QUEUE_CODEL)
		return netem_lacks[FEAT_CODEL];
	if (l->jitter_ms > LINK_NETEM_JITTER_MAX_MS)
		return "keeps at most 2147 ms of jitter";
	return NULL;
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

int link_queue_limits(const struct link_spec *l, uint32_t *pkts, uint64_t *bytes)
{
	double b;

	*pkts = 0;
	*bytes = 0;
	switch (l->queue_limit) {
	case LINK_QUEUE_PKTS:
		if (l->queue_pkts < 1 || l->queue_pkts > QUEUE_PKTS_MAX)
			return -EINVAL;
		*pkts = (uint32_t)l->queue_pkts;
		return 0;
	case LINK_QUEUE_BYTES:
		if (l->queue_bytes < 1 || l->queue_bytes > (uint64_t)QUEUE_BYTES_MAX)
			return -EINVAL;
		*bytes = l->queue_bytes;
		return 0;
	case LINK_QUEUE_BDP:
		/* A trace has no fixed rate: its rate_mbit is 0, and that is refused too. */
		if (!(l->rate_mbit >= RATE_MBIT_MIN && l->queue_bdp >= QUEUE_BDP_MIN &&
		      l->queue_bdp <= QUEUE_BDP_MAX && l->delay_ms >= 0 && l->delay_down_ms >= 0))
			return -EINVAL;
		b = bdp_bytes(l);
		if (b > QUEUE_BYTES_MAX)
			return -EINVAL;
		*bytes = (uint64_t)b;
		return 0;
	}
	return -EINVAL;
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

/*
 * The placeholder at `p` (a '{'): its index, PH_MAX for "{{" (a literal '{'), -ENOENT when
 * unknown, -EINVAL when unclosed. *adv is how many characters it spans.
 */
static int placeholder_at(const char *p, size_t *adv)
{
	const char *close;
	int i;

	if (p[1] == '{') {
		*adv = 2;
		return PH_MAX;
	}
	close = strchr(p + 1, '}');
	if (!close) {
		*adv = strlen(p);
		return -EINVAL;
	}
	*adv = close - p + 1;
	for (i = 0; i < PH_MAX; i++)
		if (strlen(placeholder_names[i]) == *adv - 2 &&
		    strncmp(p + 1, placeholder_names[i], *adv - 2) == 0)
			return i;
	return -ENOENT;
}

static void placeholders_text(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < PH_MAX && n < len; i++)
		n += snprintf(buf + n, len - n, "%s{%s}", i ? " " : "", placeholder_names[i]);
}

/* A cmd is checked whole here, so that expanding it at run time cannot fail on a typo. */
static int check_cmd(struct loader *ld, const config_setting_t *s, const char *v, size_t max)
{
	char known[128];
	size_t len = strlen(v), adv;
	const char *p;
	int ph;

	if (!len)
		return fail(ld, s, "must not be empty");
	if (len > max)
		return fail(ld, s, "must be at most %zu characters (got %zu)", max, len);
	for (p = strchr(v, '{'); p; p = strchr(p + adv, '{')) {
		ph = placeholder_at(p, &adv);
		if (ph == -EINVAL)
			return fail(ld, s, "unclosed { at offset %zu (write {{ for a literal {)",
				    (size_t)(p - v));
		if (ph == -ENOENT) {
			placeholders_text(known, sizeof(known));
			return fail(ld, s, "unknown placeholder %.*s (known: %s)", (int)adv, p,
				    known);
		}
	}
	return 0;
}

static int load_cmds(struct loader *ld, const config_setting_t *g, struct flow_spec *f)
{
	config_setting_t *s;
	const char *str;
	int r;

	r = get_string(ld, g, "cmd", false, &str, &s);
	if (r > 0)
		r = check_cmd(ld, s, str, sizeof(f->cmd) - 1);
	if (r < 0)
		return r;
	if (str)
		snprintf(f->cmd, sizeof(f->cmd), "%s", str);

	r = get_string(ld, g, "server_cmd", false, &str, &s);
	if (r > 0 && !f->cmd[0])
		return fail(ld, s, "server_cmd needs cmd");
	if (r > 0)
		r = check_cmd(ld, s, str, sizeof(f->server_cmd) - 1);
	if (r < 0)
		return r;
	if (str)
		snprintf(f->server_cmd, sizeof(f->server_cmd), "%s", str);
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
			    exp->flows[i].name, config_setting_source_line(first));
	}
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
	f->line = config_setting_source_line(g);
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
	if (ld->known_cc && !cc_known(ld->known_cc, str))
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

static int load_collect(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	config_setting_t *g, *s;
	long long v;
	int r;

	r = get_group(ld, root, "collect", false, &g);
	if (r <= 0)
		return r;
	r = check_members(ld, g, collect_keys);
	if (r < 0)
		return r;
	r = get_int(ld, g, "sample_interval_ms", false, 1, 10000, &v, &s);
	if (r < 0)
		return r;
	if (r > 0)
		exp->collect.sample_interval_ms = (int)v;
	r = get_bool(ld, g, "rtt_samples", false, &exp->collect.rtt_samples, &s);
	if (r < 0)
		return r;
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

static void experiment_defaults(struct experiment *exp)
{
	int i;

	memset(exp, 0, sizeof(*exp));
	exp->seed = DEFAULT_SEED;
	exp->link.queue_pkts = DEFAULT_QUEUE_PKTS;
	exp->link.ge_loss_bad = 1.0;
	exp->link.codel_target_ms = DEFAULT_CODEL_TARGET_MS;
	exp->link.codel_interval_ms = DEFAULT_CODEL_INTERVAL_MS;
	exp->collect.sample_interval_ms = DEFAULT_SAMPLE_INTERVAL_MS;
	/* Unset knobs stay all zero: sides 0 is "not set". */
	for (i = 0; i < CFG_MAX_FLOWS; i++)
		exp->flows[i].count = DEFAULT_COUNT;
}

/*
 * Reads the file ourselves rather than with config_read_file(): libconfig 1.5 loses errno,
 * and the text is needed again to recover integer literals that libconfig wrapped.
 */
static int read_text(const char *path, char **text, size_t *text_len)
{
	size_t len = 0, n;
	char *buf;
	FILE *f;
	int r = 0;

	*text = NULL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(MAX_CONFIG_BYTES + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(buf + len, 1, MAX_CONFIG_BYTES + 1 - len, f)) > 0) {
		len += n;
		if (len > MAX_CONFIG_BYTES) {
			r = -EFBIG;
			break;
		}
	}
	if (!r && ferror(f))
		r = errno ? -errno : -EIO;
	fclose(f);
	if (r) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*text = buf;
	*text_len = len;
	return 0;
}

static int load(struct loader *ld, struct experiment *exp)
{
	const config_setting_t *root;
	config_t cfg;
	int r;

	/* libconfig would stop at a NUL and take the rest of the file as absent. */
	if (strlen(ld->text) != ld->text_len) {
		snprintf(ld->err, ld->errlen, "%s: not a text file (NUL byte at offset %zu)",
			 ld->path, strlen(ld->text));
		return -EINVAL;
	}
	config_init(&cfg);
	if (!config_read_string(&cfg, ld->text)) {
		const char *file = config_error_file(&cfg) ? config_error_file(&cfg) : ld->path;
		const char *text = config_error_text(&cfg) ? config_error_text(&cfg) : "";

		/* bison's own message is just "syntax error": do not say it twice. */
		if (strcmp(text, "syntax error") == 0)
			snprintf(ld->err, ld->errlen, "%s:%d: syntax error", file,
				 config_error_line(&cfg));
		else
			snprintf(ld->err, ld->errlen, "%s:%d: syntax error: %s", file,
				 config_error_line(&cfg), text);
		r = -EINVAL;
		goto out;
	}
	root = config_root_setting(&cfg);
	r = check_members(ld, root, top_keys);
	if (!r)
		r = load_experiment(ld, root, exp);
	if (!r)
		r = load_link(ld, root, exp);
	if (!r)
		r = load_flows(ld, root, exp);
	if (!r)
		r = load_collect(ld, root, exp);
out:
	config_destroy(&cfg);
	return r;
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
	char *text;
	int r;

	experiment_defaults(exp);
	ld.err[0] = '\0';
	r = read_text(path, &text, &ld.text_len);
	if (r < 0) {
		snprintf(ld.err, ld.errlen, "%s: cannot read: %s", path, strerror(-r));
		return r;
	}
	ld.text = text;
	r = load(&ld, exp);
	free(text);
	/* A half-filled experiment must not pass for a valid one. */
	if (r < 0)
		experiment_defaults(exp);
	return r;
}

int experiment_conns(const struct experiment *exp)
{
	int conns = 0, i;

	for (i = 0; i < exp->nflows; i++)
		conns += exp->flows[i].count;
	return conns;
}

int config_expand_cmd(const char *tmpl, const struct flow_spec *f, const char *src, const char *dst,
		      int port, char *out, size_t len)
{
	size_t used = 0, n, adv;
	const char *p = tmpl;
	char num[32];

	if (!len)
		return -ENAMETOOLONG;
	out[0] = '\0';
	while (*p) {
		const char *v = p;

		if (*p != '{') {
			n = adv = strcspn(p, "{");
		} else {
			switch (placeholder_at(p, &adv)) {
			case PH_DST:
				v = dst ? dst : "";
				break;
			case PH_SRC:
				v = src ? src : "";
				break;
			case PH_PORT:
				snprintf(num, sizeof(num), "%d", port);
				v = num;
				break;
			case PH_CC:
				v = f->cc;
				break;
			case PH_FLOW:
				v = f->name;
				break;
			case PH_DURATION:
				snprintf(num, sizeof(num), "%g", f->stop_s - f->start_s);
				v = num;
				break;
			case PH_MAX:
				v = "{";
				break;
			default:
				out[0] = '\0';
				return -EINVAL;
			}
			n = strlen(v);
		}
		/* A truncated command line would run something else: all or nothing. */
		if (n >= len - used) {
			out[0] = '\0';
			return -ENAMETOOLONG;
		}
		memcpy(out + used, v, n);
		used += n;
		out[used] = '\0';
		p += adv;
	}
	return 0;
}
