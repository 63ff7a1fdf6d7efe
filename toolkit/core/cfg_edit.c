/* Editing a parsed config: a value put at a setting's path, and the config written back as
 * text that ccexp reads to the same values. Private to core/. */
#include "core/cfg_edit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A double as the shortest text that reads back to it, always with a '.' or an exponent,
 * so libconfig reads a float again. */
static void put_float(FILE *f, double v)
{
	char buf[64];
	int prec;

	/* Plain decimals where a person writes them (10.0, 0.001), the exponent form only for
	 * the very large and very small; always the shortest that reads back to v. */
	if (isfinite(v) && (v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e15))) {
		for (prec = 1; prec <= 20; prec++) {
			snprintf(buf, sizeof(buf), "%.*f", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	} else {
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	fputs(buf, f);
	if (!strpbrk(buf, ".eEni"))
		fputs(".0", f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* An integer as ccexp reads it: the literal as written (libconfig may have wrapped it). */
long long cfg_int_of(const config_setting_t *s)
{
	const struct cfg_int *lit = config_setting_get_hook(s);

	if (lit)
		return lit->value;
	if (config_setting_type(s) == CONFIG_TYPE_INT64)
		return config_setting_get_int64(s);
	return config_setting_get_int(s);
}

static void put_value(FILE *f, const config_setting_t *s, int indent);

static void put_members(FILE *f, const config_setting_t *g, int indent)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);

		fprintf(f, "%*s%s = ", indent, "", config_setting_name(m));
		put_value(f, m, indent);
		fputs(";\n", f);
	}
}

static void put_value(FILE *f, const config_setting_t *s, int indent)
{
	int n = config_setting_length(s);

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		fputs("{\n", f);
		put_members(f, s, indent + 2);
		fprintf(f, "%*s}", indent, "");
		break;
	case CONFIG_TYPE_LIST:
		fputs("(", f);
		for (int i = 0; i < n; i++) {
			fprintf(f, "%s\n%*s", i ? "," : "", indent + 2, "");
			put_value(f, config_setting_get_elem(s, i), indent + 2);
		}
		if (n)
			fprintf(f, "\n%*s", indent, "");
		fputs(")", f);
		break;
	case CONFIG_TYPE_ARRAY:
		fputs("[", f);
		for (int i = 0; i < n; i++) {
			fputs(i ? ", " : "", f);
			put_value(f, config_setting_get_elem(s, i), indent);
		}
		fputs("]", f);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "%lld", cfg_int_of(s));
		break;
	case CONFIG_TYPE_FLOAT:
		put_float(f, config_setting_get_float(s));
		break;
	case CONFIG_TYPE_STRING:
		put_string(f, config_setting_get_string(s));
		break;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", f);
		break;
	default:
		break;
	}
}

/* The whole config as text; NULL without memory. */
char *cfg_write_text(const config_t *cfg, const char *head)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs(head, f);
	put_members(f, config_root_setting(cfg), 0);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A value of a sweep list as points.csv shows it. */
char *cfg_value_text(const config_setting_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (config_setting_type(v) == CONFIG_TYPE_STRING)
		fputs(config_setting_get_string(v), f);
	else
		put_value(f, v, 0);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The flow of `list` whose name is the longest prefix of `rest` ending at '.' or the end. */
static config_setting_t *flow_by_name(config_setting_t *list, const char *rest, size_t *used)
{
	config_setting_t *best = NULL;
	size_t best_len = 0;

	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *f = config_setting_get_elem(list, i);
		const char *name = NULL;
		size_t n;

		if (!config_setting_is_group(f) || !config_setting_lookup_string(f, "name", &name))
			continue;
		n = strlen(name);
		if (n > best_len && !strncmp(rest, name, n) &&
		    (rest[n] == '.' || rest[n] == '\0')) {
			best = f;
			best_len = n;
		}
	}
	*used = best_len;
	return best;
}

/*
 * Finds the setting `path` names in `root`, making the groups on the way when they are not
 * there. *parent and *name say where the last part goes; *target is it when it exists.
 * Returns 0, or -EINVAL with what is wrong in why.
 */
static int resolve(config_setting_t *root, const char *path, config_setting_t **parent, char *name,
		   size_t name_len, config_setting_t **target, char *why, size_t why_len)
{
	config_setting_t *cur = root;
	const char *p = path;

	for (;;) {
		size_t n = strcspn(p, ".[");
		config_setting_t *next;

		if (n == 0 || n >= name_len) {
			snprintf(why, why_len, "\"%s\" is not a setting's path", path);
			return -EINVAL;
		}
		snprintf(name, name_len, "%.*s", (int)n, p);
		p += n;
		next = config_setting_get_member(cur, name);
		if (*p == '\0') {
			*parent = cur;
			*target = next;
			return 0;
		}
		if (!next) {
			if (*p == '[') {
				snprintf(why, why_len, "\"%s\": the config has no %s", path, name);
				return -EINVAL;
			}
			/* libconfig refuses a name it could not parse (and only then). */
			next = config_setting_add(cur, name, CONFIG_TYPE_GROUP);
			if (!next) {
				snprintf(why, why_len, "\"%s\": \"%s\" is not a setting's name", path,
					 name);
				return -EINVAL;
			}
		}
		if (*p == '[') {
			char *end;
			long i = strtol(p + 1, &end, 10);

			if (end == p + 1 || *end != ']' || !config_setting_is_list(next) || i < 0 ||
			    !(next = config_setting_get_elem(next, (unsigned int)i))) {
				snprintf(why, why_len, "\"%s\": no such element of %s", path, name);
				return -EINVAL;
			}
			p = end + 1;
			if (*p == '\0') {
				snprintf(why, why_len,
					 "\"%s\" is a whole flow: sweep one of its settings", path);
				return -EINVAL;
			}
		} else if (config_setting_is_list(next)) {
			size_t used;

			next = flow_by_name(next, p + 1, &used);
			if (!next) {
				snprintf(why, why_len, "\"%s\": no %s element is named \"%.*s\"",
					 path, name, (int)strcspn(p + 1, "."), p + 1);
				return -EINVAL;
			}
			p += 1 + used;
			if (*p == '\0') {
				snprintf(why, why_len,
					 "\"%s\" is a whole flow: sweep one of its settings", path);
				return -EINVAL;
			}
		}
		if (*p != '.' || !config_setting_is_group(next)) {
			snprintf(why, why_len, "\"%s\": %s is not a group of settings", path, name);
			return -EINVAL;
		}
		cur = next;
		p++;
	}
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	default:
		return "a group or a list";
	}
}

static int set_int(struct int_pool *pool, config_setting_t *s, long long v)
{
	struct cfg_int *lit;

	if (pool->n == pool->cap) {
		/* Hooks point into the pool: it is sized once, never moved. */
		return -ENOSPC;
	}
	lit = &pool->v[pool->n++];
	memset(lit, 0, sizeof(*lit));
	lit->value = v;
	lit->approx = (double)v;
	config_setting_set_hook(s, lit);
	config_setting_set_int(s, v >= INT32_MIN && v <= INT32_MAX ? (int)v : 0);
	return 0;
}

/*
 * Puts value `v` (a scalar of the sweep list) at `path` in root. The setting keeps its type
 * where it exists (an integer where a number is meant becomes a float; a knob written
 * `{ value = ...; side = ...; }` gets its value set), else it takes v's.
 */
int cfg_set_path(config_setting_t *root, const char *path, const config_setting_t *v,
		 struct int_pool *pool, char *why, size_t why_len)
{
	config_setting_t *parent, *t;
	int vt = config_setting_type(v), tt;
	char name[CFG_EDIT_NAME_MAX];
	int r;

	r = resolve(root, path, &parent, name, sizeof(name), &t, why, why_len);
	if (r < 0)
		return r;
	if (t && config_setting_is_group(t) && config_setting_get_member(t, "value")) {
		parent = t;
		t = config_setting_get_member(t, "value");
		snprintf(name, sizeof(name), "value");
	}
	if (!t) {
		t = config_setting_add(parent, name,
				       vt == CONFIG_TYPE_INT64 ? CONFIG_TYPE_INT : vt);
		if (!t) {
			snprintf(why, why_len, "\"%s\": \"%s\" is not a setting's name", path,
				 name);
			return -EINVAL;
		}
	}
	tt = config_setting_type(t);
	if (vt == CONFIG_TYPE_INT64)
		vt = CONFIG_TYPE_INT;
	if (tt == CONFIG_TYPE_INT64)
		tt = CONFIG_TYPE_INT;
	if (tt == CONFIG_TYPE_FLOAT && vt == CONFIG_TYPE_INT) {
		config_setting_set_float(t, (double)cfg_int_of(v));
		return 0;
	}
	if (tt != vt) {
		snprintf(why, why_len, "%s takes %s, not %s", path, type_name(tt), type_name(vt));
		return -EINVAL;
	}
	switch (tt) {
	case CONFIG_TYPE_INT:
		return set_int(pool, t, cfg_int_of(v));
	case CONFIG_TYPE_FLOAT:
		config_setting_set_float(t, config_setting_get_float(v));
		return 0;
	case CONFIG_TYPE_STRING:
		config_setting_set_string(t, config_setting_get_string(v));
		return 0;
	case CONFIG_TYPE_BOOL:
		config_setting_set_bool(t, config_setting_get_bool(v));
		return 0;
	default:
		snprintf(why, why_len, "%s is a group or a list: sweep one of its settings", path);
		return -EINVAL;
	}
}

/* A run's config must work from any folder: its traces are named by absolute paths. */
int cfg_absolute_traces(config_setting_t *root, const char *dir)
{
	static const char *const names[] = {"trace_up", "trace_down", NULL};
	config_setting_t *link = config_setting_get_member(root, "link");

	for (int i = 0; link && names[i]; i++) {
		config_setting_t *s = config_setting_get_member(link, names[i]);
		const char *v;
		char *abs;

		if (!s || config_setting_type(s) != CONFIG_TYPE_STRING)
			continue;
		v = config_setting_get_string(s);
		if (!*v || v[0] == '/')
			continue;
		if (asprintf(&abs, "%s/%s", dir, v) < 0)
			return -ENOMEM;
		config_setting_set_string(s, abs);
		free(abs);
	}
	return 0;
}

int cfg_set_seed(config_setting_t *root, unsigned long seed, struct int_pool *pool)
{
	config_setting_t *exp = config_setting_get_member(root, "experiment");
	config_setting_t *s = exp ? config_setting_get_member(exp, "seed") : NULL;

	if (!exp)
		return -EINVAL;
	if (!s || (config_setting_type(s) != CONFIG_TYPE_INT &&
		   config_setting_type(s) != CONFIG_TYPE_INT64)) {
		if (s)
			config_setting_remove(exp, "seed");
		s = config_setting_add(exp, "seed", CONFIG_TYPE_INT);
		if (!s)
			return -ENOMEM;
	}
	return set_int(pool, s, (long long)seed);
}
