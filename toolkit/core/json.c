/* Streaming, pretty-printing JSON writer (meta.json and other run documents). */
#include "core/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void fail(struct json *j, int err)
{
	if (!j->err)
		j->err = err;
}

static void indent(struct json *j, int depth)
{
	fputc('\n', j->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/*
 * Everything that starts a value or a key goes through here: it checks the value is
 * allowed at this point and writes the comma and indentation in front of it.
 * Returns false when nothing may be written.
 */
static bool begin_item(struct json *j, bool is_key)
{
	if (j->err)
		return false;
	if (j->depth == 0) {
		if (is_key || j->done) {
			fail(j, -EINVAL);
			return false;
		}
		return true;
	}
	if (j->kind[j->depth - 1] == '{') {
		if (is_key == j->have_key) {
			/* a key after a key, or a value without one */
			fail(j, -EINVAL);
			return false;
		}
		if (!is_key) {
			/* the value goes on the key's line */
			j->have_key = false;
			return true;
		}
	} else if (is_key) {
		fail(j, -EINVAL);
		return false;
	}
	if (j->count[j->depth - 1]++ > 0)
		fputc(',', j->f);
	indent(j, j->depth);
	return true;
}

static void end_value(struct json *j)
{
	if (j->depth == 0)
		j->done = true;
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	if (!f)
		j->err = -EBADF;
}

int json_open(struct json *j, const char *path)
{
	FILE *f = fopen(path, "we");

	json_init(j, f);
	if (!f)
		return -errno;
	j->owns_f = true;
	return 0;
}

int json_finish(struct json *j)
{
	if (!j->f)
		return j->err;
	if (j->depth != 0 || j->have_key || !j->done)
		fail(j, -EINVAL);
	if (!j->err)
		fputc('\n', j->f);
	if (fflush(j->f) != 0)
		fail(j, -errno);
	/* A write that failed earlier leaves only the stream's error flag behind. */
	if (ferror(j->f))
		fail(j, -EIO);
	return j->err;
}

int json_close(struct json *j)
{
	int r = json_finish(j);

	if (j->owns_f && j->f && fclose(j->f) != 0 && !r)
		r = -errno;
	j->f = NULL;
	j->owns_f = false;
	return r;
}

static void container_begin(struct json *j, char kind)
{
	if (!begin_item(j, false))
		return;
	if (j->depth == JSON_MAX_DEPTH) {
		fail(j, -EINVAL);
		return;
	}
	fputc(kind, j->f);
	j->kind[j->depth] = kind;
	j->count[j->depth] = 0;
	j->depth++;
}

static void container_end(struct json *j, char kind)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->have_key) {
		fail(j, -EINVAL);
		return;
	}
	j->depth--;
	/* Empty containers stay on one line: {} and []. */
	if (j->count[j->depth] > 0)
		indent(j, j->depth);
	fputc(kind == '{' ? '}' : ']', j->f);
	end_value(j);
}

void json_object_begin(struct json *j)
{
	container_begin(j, '{');
}

void json_object_end(struct json *j)
{
	container_end(j, '{');
}

void json_array_begin(struct json *j)
{
	container_begin(j, '[');
}

void json_array_end(struct json *j)
{
	container_end(j, '[');
}

static void put_string(struct json *j, const char *s)
{
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", j->f);
			break;
		case '\\':
			fputs("\\\\", j->f);
			break;
		case '\b':
			fputs("\\b", j->f);
			break;
		case '\f':
			fputs("\\f", j->f);
			break;
		case '\n':
			fputs("\\n", j->f);
			break;
		case '\r':
			fputs("\\r", j->f);
			break;
		case '\t':
			fputs("\\t", j->f);
			break;
		default:
			if (*p < 0x20)
				fprintf(j->f, "\\u%04x", *p);
			else
				fputc(*p, j->f);
		}
	}
	fputc('"', j->f);
}

void json_key(struct json *j, const char *key)
{
	if (!key) {
		fail(j, -EINVAL);
		return;
	}
	if (!begin_item(j, true))
		return;
	put_string(j, key);
	fputs(": ", j->f);
	j->have_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	if (!begin_item(j, false))
		return;
	put_string(j, s);
	end_value(j);
}

void json_strf(struct json *j, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fail(j, -ENOMEM);
		return;
	}
	json_str(j, s);
	free(s);
}

void json_int(struct json *j, int64_t v)
{
	if (!begin_item(j, false))
		return;
	fprintf(j->f, "%" PRId64, v);
	end_value(j);
}

void json_uint(struct json *j, uint64_t v)
{
	if (!begin_item(j, false))
		return;
	fprintf(j->f, "%" PRIu64, v);
	end_value(j);
}

void json_double(struct json *j, double v)
{
	char buf[40];

	/* JSON has no NaN or infinity; null is what Python, jq and pandas read as missing. */
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	if (!begin_item(j, false))
		return;
	/* %.17g always round-trips but prints 0.1 as 0.10000000000000001. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* Keep a double recognisable as one, so readers do not turn 30.0 into an integer. */
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	fputs(buf, j->f);
	end_value(j);
}

void json_bool(struct json *j, bool v)
{
	if (!begin_item(j, false))
		return;
	fputs(v ? "true" : "false", j->f);
	end_value(j);
}

void json_null(struct json *j)
{
	if (!begin_item(j, false))
		return;
	fputs("null", j->f);
	end_value(j);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

/*
 * Edits of a document this writer made: a top-level object whose members each start a line
 * with two spaces and their key. Nested values are indented deeper and strings hold no raw
 * line end, so "\n  \"" starts a top-level member and nothing else does.
 */

/* The member `key` of `text` as [*start, *end): from the line end before it to the end of
 * its value, without the comma after it. */
static bool doc_member(const char *text, const char *key, size_t key_len, const char **start,
		       const char **end)
{
	const char *p = text;

	while ((p = strstr(p, "\n  \""))) {
		const char *next, *close;

		if (!strncmp(p + 4, key, key_len) && !strncmp(p + 4 + key_len, "\": ", 3)) {
			next = strstr(p + 1, "\n  \"");
			close = strstr(p + 1, "\n}");
			if (!close)
				return false;
			*start = p;
			*end = next && next < close ? next : close;
			if ((*end)[-1] == ',')
				(*end)--;
			return true;
		}
		p++;
	}
	return false;
}

int json_doc_get_str(const char *text, const char *key, char *buf, size_t len)
{
	const char *start, *end, *v;
	size_t n;

	if (!doc_member(text, key, strlen(key), &start, &end))
		return -ENOENT;
	v = start + 4 + strlen(key) + 3;
	if (v >= end || *v != '"' || end[-1] != '"' || end - v < 2)
		return -EINVAL;
	n = (size_t)(end - v - 2);
	if (memchr(v + 1, '\\', n))
		return -EINVAL; /* escapes: not one of the plain words this is for */
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, v + 1, n);
	buf[n] = '\0';
	return 0;
}

int json_doc_set(const char *text, const char *members, const char *after_key, char **out)
{
	const char *m = members, *ms, *me, *ts, *te;
	char *doc = strdup(text);

	if (!doc)
		return -ENOMEM;
	if (strncmp(text, "{\n", 2) || strncmp(members, "{\n", 2)) {
		free(doc);
		return -EINVAL;
	}
	/* Each member of `members`, in order: the key ends at its closing quote. */
	while ((m = strstr(m, "\n  \""))) {
		const char *key = m + 4, *q = strchr(key, '"');
		char *next = NULL;
		size_t klen;
		int n;

		if (!q || !doc_member(members, key, klen = (size_t)(q - key), &ms, &me)) {
			free(doc);
			return -EINVAL;
		}
		if (doc_member(doc, key, klen, &ts, &te))
			n = asprintf(&next, "%.*s%.*s%s", (int)(ts - doc), doc, (int)(me - ms), ms,
				     te);
		else if ((after_key && doc_member(doc, after_key, strlen(after_key), &ts, &te)) ||
			 (te = strstr(doc, "\n}")) != NULL)
			/* After that member, or last: "...,\n  new" before what followed. */
			n = asprintf(&next, "%.*s,%.*s%s", (int)(te - doc), doc, (int)(me - ms), ms,
				     te);
		else
			n = -1;
		free(doc);
		if (n < 0)
			return -ENOMEM;
		doc = next;
		m = me;
	}
	*out = doc;
	return 0;
}
