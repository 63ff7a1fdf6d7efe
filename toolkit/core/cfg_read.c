/* Reading libconfig settings with "file:line: setting: what" messages: the accessors the
 * config loader is built from. */
#include "core/cfg_read.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int bind_ints(config_setting_t *s, const struct cfg_text *t, size_t *k)
{
	int type = config_setting_type(s);

	if (type == CONFIG_TYPE_GROUP || type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY) {
		for (int i = 0; i < config_setting_length(s); i++)
			if (bind_ints(config_setting_get_elem(s, i), t, k) < 0)
				return -EINVAL;
		return 0;
	}
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return 0;
	if (*k >= t->nints)
		return -EINVAL;
	config_setting_set_hook(s, (void *)&t->ints[(*k)++]);
	return 0;
}

/* Settings come in the order of the text, and so do the literals: the n-th is the n-th. */
int cfg_bind_ints(struct loader *ld, config_setting_t *root)
{
	size_t k = 0;

	if (bind_ints(root, ld->text, &k) < 0 || k != ld->text->nints) {
		snprintf(ld->err, ld->errlen,
			 "%s: cannot match the integers libconfig read to the text (a bug in "
			 "ccexp's config reader)",
			 ld->path);
		return -EINVAL;
	}
	return 0;
}

/* The dotted path a user can search for: flows[1].sockops.syn_rto_ms. */
void setting_path(const config_setting_t *s, char *buf, size_t len)
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

struct cfg_pos setting_pos(const struct loader *ld, const config_setting_t *s)
{
	struct cfg_origin o = cfg_text_origin(ld->text, config_setting_source_line(s));

	return (struct cfg_pos){.file = o.file, .line = o.line};
}

/* Settings from an @include'd file carry that file's name, as the config reader found it. */
const char *setting_file(const struct loader *ld, const config_setting_t *s)
{
	struct cfg_pos p = setting_pos(ld, s);

	return p.file < ld->text->nfiles ? ld->text->files[p.file] : ld->path;
}

int setting_line(const struct loader *ld, const config_setting_t *s)
{
	return setting_pos(ld, s).line;
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

int fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char where[PATH_TEXT_MAX];
	va_list ap;

	setting_path(s, where, sizeof(where));
	va_start(ap, fmt);
	put_err(ld, setting_file(ld, s), setting_line(ld, s), where, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * A missing setting has no line of its own: point at the group that should hold it, which
 * for a top-level setting is the whole file, starting at line 1.
 */
int fail_missing_because(struct loader *ld, const config_setting_t *group, const char *name,
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
		 setting_line(ld, group), where, why);
	return -EINVAL;
}

int fail_missing(struct loader *ld, const config_setting_t *group, const char *name)
{
	return fail_missing_because(ld, group, name, "required");
}

const char *num_str(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (!strpbrk(buf, ".eEni"))
		strncat(buf, ".0", len - strlen(buf) - 1);
	return buf;
}

int check_members(struct loader *ld, const config_setting_t *group, const char *const *known)
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
int member(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	   config_setting_t **out)
{
	*out = config_setting_get_member(group, name);
	if (*out)
		return 1;
	return required ? fail_missing(ld, group, name) : 0;
}

int get_group(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	      config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	if (r > 0 && !config_setting_is_group(*out))
		return fail(ld, *out, "must be a group");
	return r;
}

int get_string(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	       const char **v, config_setting_t **out)
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

/* The integer as written (libconfig's own may have wrapped): NULL for one beyond 64 bits. */
static const struct cfg_int *int_literal(const config_setting_t *s, long long *v)
{
	const struct cfg_int *lit = config_setting_get_hook(s);

	*v = lit ? lit->value : config_setting_get_int64(s);
	return lit;
}

int get_number(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	       double *v, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);

	if (r <= 0)
		return r;
	switch (config_setting_type(*out)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		const struct cfg_int *lit;
		long long i;

		lit = int_literal(*out, &i);
		*v = lit && lit->overflow ? lit->approx : (double)i;
		return 1;
	}
	case CONFIG_TYPE_FLOAT:
		*v = config_setting_get_float(*out);
		return 1;
	default:
		return fail(ld, *out, "must be a number");
	}
}

int get_bool(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	     bool *v, config_setting_t **out)
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

int get_int(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	    long long min, long long max, long long *v, config_setting_t **out)
{
	int r = member(ld, group, name, required, out);
	const struct cfg_int *lit;

	if (r <= 0)
		return r;
	if (config_setting_type(*out) != CONFIG_TYPE_INT &&
	    config_setting_type(*out) != CONFIG_TYPE_INT64)
		return fail(ld, *out, "must be an integer");
	lit = int_literal(*out, v);
	if (lit && lit->overflow)
		return fail(ld, *out, "must be between %lld and %lld (got %.*s)", min, max,
			    (int)lit->len, ld->text->text + lit->off);
	if (*v >= min && *v <= max)
		return 1;
	if (max == LLONG_MAX)
		return fail(ld, *out, "must be >= %lld (got %lld)", min, *v);
	return fail(ld, *out, "must be between %lld and %lld (got %lld)", min, max, *v);
}

int check_name(struct loader *ld, const config_setting_t *s, const char *v, size_t max,
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

int get_range(struct loader *ld, const config_setting_t *group, const char *name, double min,
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

int get_enum(struct loader *ld, const config_setting_t *group, const char *name,
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
