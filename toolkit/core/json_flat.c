/* A JSON document read back, each scalar under its path: enough to show a saved meta.json. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_flat.h"

#define FLAT_DEPTH_MAX 32

static int flat_add(struct json_flat *j, const char *path, const char *val, size_t len)
{
	if (j->n == j->cap) {
		int cap = j->cap ? 2 * j->cap : 64;
		struct json_kv *kv = realloc(j->kv, cap * sizeof(*kv));

		if (!kv)
			return -ENOMEM;
		j->kv = kv;
		j->cap = cap;
	}
	j->kv[j->n].path = strdup(path);
	j->kv[j->n].val = strndup(val, len);
	if (!j->kv[j->n].path || !j->kv[j->n].val) {
		free(j->kv[j->n].path);
		free(j->kv[j->n].val);
		return -ENOMEM;
	}
	j->n++;
	return 0;
}

void json_flat_free(struct json_flat *j)
{
	for (int i = 0; i < j->n; i++) {
		free(j->kv[i].path);
		free(j->kv[i].val);
	}
	free(j->kv);
	*j = (struct json_flat){0};
}

const char *json_flat_get(const struct json_flat *j, const char *path)
{
	for (int i = 0; i < j->n; i++)
		if (!strcmp(j->kv[i].path, path))
			return j->kv[i].val;
	return NULL;
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -EINVAL;
	}
	return 0;
}

static void put_utf8(FILE *f, unsigned cp)
{
	if (cp < 0x80) {
		fputc(cp, f);
	} else if (cp < 0x800) {
		fputc(0xc0 | cp >> 6, f);
		fputc(0x80 | (cp & 0x3f), f);
	} else if (cp < 0x10000) {
		fputc(0xe0 | cp >> 12, f);
		fputc(0x80 | ((cp >> 6) & 0x3f), f);
		fputc(0x80 | (cp & 0x3f), f);
	} else {
		fputc(0xf0 | cp >> 18, f);
		fputc(0x80 | ((cp >> 12) & 0x3f), f);
		fputc(0x80 | ((cp >> 6) & 0x3f), f);
		fputc(0x80 | (cp & 0x3f), f);
	}
}

/* A JSON string at *p (its opening quote), unescaped into a malloc'ed *out. */
static int json_string(const char **p, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	const char *s = *p + 1;
	int r = 0;

	if (!f)
		return -ENOMEM;
	for (; *s && *s != '"' && !r; s++) {
		unsigned cp, lo;

		if (*s != '\\') {
			fputc(*s, f);
			continue;
		}
		s++;
		switch (*s) {
		case 'b':
			fputc('\b', f);
			break;
		case 'f':
			fputc('\f', f);
			break;
		case 'n':
			fputc('\n', f);
			break;
		case 'r':
			fputc('\r', f);
			break;
		case 't':
			fputc('\t', f);
			break;
		case 'u':
			if (hex4(s + 1, &cp) < 0) {
				r = -EINVAL;
				break;
			}
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
			    hex4(s + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			put_utf8(f, cp);
			break;
		case '\0':
			r = -EINVAL;
			s--;
			break;
		default:
			fputc(*s, f);
			break; /* \" \\ \/ */
		}
	}
	if (*s != '"')
		r = -EINVAL;
	if (fclose(f) != 0 && !r)
		r = -ENOMEM;
	if (r < 0) {
		free(*out);
		*out = NULL;
		return r;
	}
	*p = s + 1;
	return 0;
}

static int json_value(const char **p, char *path, size_t plen, int depth, struct json_flat *j);

/* path + ".key" or path + "[i]"; -ENAMETOOLONG past plen. */
static int json_member_path(char *path, size_t plen, size_t base, const char *key, int i)
{
	int n = key ? snprintf(path + base, plen - base, "%s%s", base ? "." : "", key)
		    : snprintf(path + base, plen - base, "[%d]", i);

	return n < 0 || (size_t)n >= plen - base ? -ENAMETOOLONG : 0;
}

static int json_container(const char **p, char *path, size_t plen, int depth, struct json_flat *j)
{
	bool obj = **p == '{';
	size_t base = strlen(path);
	int r = 0, i = 0;

	(*p)++;
	skip_ws(p);
	if (**p == (obj ? '}' : ']')) {
		(*p)++;
		return 0;
	}
	for (;; i++) {
		skip_ws(p);
		if (obj) {
			char *key;
			size_t klen;

			if (**p != '"' || json_string(p, &key, &klen) < 0)
				return -EINVAL;
			r = json_member_path(path, plen, base, key, 0);
			free(key);
			skip_ws(p);
			if (r < 0 || **p != ':')
				return r < 0 ? r : -EINVAL;
			(*p)++;
		} else {
			r = json_member_path(path, plen, base, NULL, i);
			if (r < 0)
				return r;
		}
		r = json_value(p, path, plen, depth + 1, j);
		path[base] = '\0';
		if (r < 0)
			return r;
		skip_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (**p != (obj ? '}' : ']'))
			return -EINVAL;
		(*p)++;
		return 0;
	}
}

static int json_value(const char **p, char *path, size_t plen, int depth, struct json_flat *j)
{
	const char *s;
	char *str;
	size_t len;
	int r;

	if (depth > FLAT_DEPTH_MAX)
		return -EINVAL;
	skip_ws(p);
	if (**p == '{' || **p == '[')
		return json_container(p, path, plen, depth, j);
	if (**p == '"') {
		r = json_string(p, &str, &len);
		if (r < 0)
			return r;
		r = flat_add(j, path, str, len);
		free(str);
		return r;
	}
	s = *p;
	while (**p && !strchr(",]} \t\r\n", **p))
		(*p)++;
	if (*p == s)
		return -EINVAL;
	return flat_add(j, path, s, *p - s);
}

int json_flat_parse(const char *text, struct json_flat *j)
{
	char path[512] = "";
	const char *p = text;
	int r = json_value(&p, path, sizeof(path), 0, j);

	skip_ws(&p);
	if (r == 0 && *p)
		r = -EINVAL;
	return r;
}
