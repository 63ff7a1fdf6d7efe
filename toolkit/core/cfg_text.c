/* A config file as libconfig gets it: @includes resolved, with a map back to files and lines,
 * and its integer literals as written. */
#include "core/cfg_text.h"
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (1 << 20) /* a config is a few KiB; refuse to slurp a device */
#define LITERAL_MAX	 128	   /* longer integer literals overflow anyway */

enum lex_state { LEX_CODE, LEX_COMMENT, LEX_STRING };

struct reader {
	struct cfg_text *t;
	int reading[CFG_MAX_FILES]; /* files[] of the @include chain being read */
	size_t cap, lines_cap, ints_cap;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct reader *rd, int r, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/*
 * Reads the file ourselves rather than with config_read_file(): libconfig 1.5 loses errno,
 * and the text is needed again to read integer literals that libconfig wrapped.
 */
static int read_file(const char *path, char **text, size_t *text_len)
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

/* Appends one line (and its newline) to the resolved text, coming from `file`:`line`. */
static int emit_line(struct reader *rd, const char *s, size_t n, int file, int line)
{
	struct cfg_text *t = rd->t;

	if (t->len + n + 1 > MAX_CONFIG_BYTES)
		return fail(rd, -EFBIG, "%s: more than %d bytes with its @include files",
			    t->files[0], MAX_CONFIG_BYTES);
	if (grow((void **)&t->text, &rd->cap, t->len + n + 2, 1) < 0 ||
	    grow((void **)&t->lines, &rd->lines_cap, t->nlines + 1, sizeof(*t->lines)) < 0)
		return fail(rd, -ENOMEM, "%s: out of memory", t->files[0]);
	memcpy(t->text + t->len, s, n);
	t->len += n;
	t->text[t->len++] = '\n';
	t->text[t->len] = '\0';
	t->lines[t->nlines++] = (struct cfg_origin){.file = file, .line = line};
	return 0;
}

static size_t digits(const char *s, size_t i, size_t n, int (*is)(int))
{
	size_t k = i;

	while (k < n && is((unsigned char)s[k]))
		k++;
	return k - i;
}

/* [eE][-+]?[0-9]+ at i: its length, or 0. */
static size_t exponent(const char *s, size_t i, size_t n)
{
	size_t k = i + 1, d;

	if (i >= n || (s[i] != 'e' && s[i] != 'E'))
		return 0;
	if (k < n && (s[k] == '-' || s[k] == '+'))
		k++;
	d = digits(s, k, n, isdigit);
	return d ? k + d - i : 0;
}

static size_t long_suffix(const char *s, size_t i, size_t n)
{
	if (i < n && s[i] == 'L')
		return i + 1 < n && s[i + 1] == 'L' ? 2 : 1;
	return 0;
}

/*
 * The longest number token at s[i], as libconfig's scanner finds it: its length, 0 when
 * none, and *is_int when it is an integer (decimal or hex, with or without L) rather
 * than a float.
 */
static size_t number_at(const char *s, size_t i, size_t n, bool *is_int)
{
	size_t k = i + (s[i] == '-' || s[i] == '+'), d1, d2 = 0, flt = 0, in = 0, hex = 0, e;

	d1 = digits(s, k, n, isdigit);
	if (d1)
		in = k + d1 - i + long_suffix(s, k + d1, n);
	if (k + d1 < n && s[k + d1] == '.') {
		d2 = digits(s, k + d1 + 1, n, isdigit);
		flt = k + d1 + 1 + d2 - i;
		flt += exponent(s, i + flt, n);
	} else if (d1 && (e = exponent(s, k + d1, n))) {
		flt = k + d1 + e - i;
	}
	if (s[i] == '0' && i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		size_t h = digits(s, i + 2, n, isxdigit);

		if (h)
			hex = 2 + h + long_suffix(s, i + 2 + h, n);
	}
	*is_int = in > flt || hex > flt;
	return flt > in ? (flt > hex ? flt : hex) : (in > hex ? in : hex);
}

static int add_int(struct reader *rd, const char *s, size_t len, size_t off)
{
	struct cfg_text *t = rd->t;
	struct cfg_int *v;
	char buf[LITERAL_MAX + 1], *end;
	bool is_hex;

	if (grow((void **)&t->ints, &rd->ints_cap, t->nints + 1, sizeof(*t->ints)) < 0)
		return fail(rd, -ENOMEM, "%s: out of memory", t->files[0]);
	v = &t->ints[t->nints++];
	memset(v, 0, sizeof(*v));
	v->off = off;
	v->len = len;
	while (len && s[len - 1] == 'L')
		len--;
	if (len > LITERAL_MAX) {
		v->overflow = true;
		v->approx = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
		return 0;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	is_hex = len > 2 && (buf[1] == 'x' || buf[1] == 'X');
	errno = 0;
	/* Not base 0: libconfig reads 010 as ten, not as octal. */
	v->value = strtoll(buf, &end, is_hex ? 16 : 10);
	v->overflow = errno == ERANGE;
	v->approx = strtod(buf, &end);
	return 0;
}

/* Finds the integer literals of one line outside strings and comments, carrying the state. */
static int lex_line(struct reader *rd, const char *s, size_t n, size_t out_off,
		    enum lex_state *state)
{
	size_t i = 0, len;
	bool is_int;
	int r;

	while (i < n) {
		char c = s[i];

		if (*state == LEX_COMMENT) {
			if (c == '*' && i + 1 < n && s[i + 1] == '/') {
				*state = LEX_CODE;
				i++;
			}
			i++;
		} else if (*state == LEX_STRING) {
			if (c == '"')
				*state = LEX_CODE;
			else if (c == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
				i++;
			i++;
		} else if (c == '"') {
			*state = LEX_STRING;
			i++;
		} else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			*state = LEX_COMMENT;
			i += 2;
		} else if (c == '#' || (c == '/' && i + 1 < n && s[i + 1] == '/')) {
			return 0;
		} else if (isalpha((unsigned char)c) || c == '*') {
			while (i < n && (isalnum((unsigned char)s[i]) || strchr("-_*", s[i])))
				i++;
		} else if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.') {
			len = number_at(s, i, n, &is_int);
			if (len && is_int) {
				r = add_int(rd, s + i, len, out_off + i);
				if (r < 0)
					return r;
			}
			i += len ? len : 1;
		} else {
			i++;
		}
	}
	return 0;
}

/* `@include "name"` at the start of a line: the name (its \\ and \" unescaped) and the rest. */
static bool include_at(const char *s, size_t n, char *name, size_t name_len, const char **rest,
		       bool *closed)
{
	size_t i = strspn(s, " \t"), k = 0;

	*closed = false;
	if (i + 8 > n || strncmp(s + i, "@include", 8) != 0)
		return false;
	i += 8;
	if (i >= n || (s[i] != ' ' && s[i] != '\t'))
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != '"')
		return false;
	for (i++; i < n && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"'))
			i++;
		if (k + 1 < name_len)
			name[k++] = s[i];
	}
	name[k] = '\0';
	*closed = i < n;
	*rest = s + (i < n ? i + 1 : n);
	return true;
}

static int read_one(struct reader *rd, const char *path, int depth, const char *inc_name,
		    int from_file, int from_line);

/* A name relative to the folder of the file that includes it, as traces are. */
static int include(struct reader *rd, int file, int line, const char *name, int depth)
{
	const char *from = rd->t->files[file], *slash = strrchr(from, '/');
	char path[PATH_MAX], real[PATH_MAX], other[PATH_MAX];
	int n;

	if (!name[0])
		return fail(rd, -EINVAL, "%s:%d: @include: empty file name", from, line);
	if (name[0] == '/' || !slash)
		n = snprintf(path, sizeof(path), "%s", name);
	else
		n = snprintf(path, sizeof(path), "%.*s%s", (int)(slash - from + 1), from, name);
	if (n < 0 || n >= (int)sizeof(path))
		return fail(rd, -ENAMETOOLONG, "%s:%d: @include \"%s\": path too long", from, line,
			    name);
	/* A file that includes itself, directly or not, would only end at the depth bound. */
	if (realpath(path, real)) {
		for (int k = 0; k <= depth; k++) {
			const char *open = rd->t->files[rd->reading[k]];

			if (realpath(open, other) && strcmp(real, other) == 0)
				return fail(rd, -ELOOP,
					    "%s:%d: @include \"%s\": %s is already being read (a "
					    "loop)",
					    from, line, name, open);
		}
	}
	/* Which also bounds how deep they nest. */
	if (rd->t->nfiles >= CFG_MAX_FILES)
		return fail(rd, -EINVAL, "%s:%d: @include \"%s\": more than %d files included",
			    from, line, name, CFG_MAX_FILES - 1);
	return read_one(rd, path, depth + 1, name, file, line);
}

/* Appends `path` to the resolved text, its @includes replaced by their files. */
static int read_one(struct reader *rd, const char *path, int depth, const char *inc_name,
		    int from_file, int from_line)
{
	struct cfg_text *t = rd->t;
	enum lex_state state = LEX_CODE;
	char name[PATH_MAX], marker[PATH_MAX + 64];
	const char *p, *rest;
	char *buf, **files;
	size_t len = 0;
	int file, line = 0, r;
	bool closed;

	r = read_file(path, &buf, &len);
	if (r < 0 && !depth)
		return fail(rd, r, "%s: cannot read: %s", path, strerror(-r));
	if (r < 0)
		return fail(rd, r, "%s:%d: @include \"%s\": cannot read \"%s\": %s",
			    t->files[from_file], from_line, inc_name, path, strerror(-r));
	/* libconfig would stop at a NUL and take the rest of the file as absent. */
	if (strlen(buf) != len) {
		r = fail(rd, -EINVAL, "%s: not a text file (NUL byte at offset %zu)", path,
			 strlen(buf));
		goto out;
	}
	files = realloc(t->files, (t->nfiles + 1) * sizeof(*files));
	if (!files || !(files[t->nfiles] = strdup(path))) {
		if (files)
			t->files = files;
		r = fail(rd, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	t->files = files;
	file = t->nfiles++;
	rd->reading[depth] = file;
	for (p = buf; *p; p += len + (p[len] == '\n')) {
		len = strcspn(p, "\n");
		line++;
		if (state == LEX_CODE && include_at(p, len, name, sizeof(name), &rest, &closed)) {
			if (!closed) {
				r = fail(rd, -EINVAL, "%s:%d: @include: no closing \"", path, line);
				goto out;
			}
			/* The saved config says where each part came from. */
			snprintf(marker, sizeof(marker), "# @include \"%s\" (%s) begins", name,
				 path);
			r = emit_line(rd, marker, strlen(marker), file, line);
			if (!r)
				r = include(rd, file, line, name, depth);
			if (!r) {
				snprintf(marker, sizeof(marker), "# @include \"%s\" ends", name);
				r = emit_line(rd, marker, strlen(marker), file, line);
			}
			if (r)
				goto out;
			len = (size_t)(p + len - rest);
			p = rest;
			if (strspn(p, " \t\r") == len)
				continue;
		}
		r = lex_line(rd, p, len, t->len, &state);
		if (!r)
			r = emit_line(rd, p, len, file, line);
		if (r)
			goto out;
	}
out:
	free(buf);
	return r;
}

int cfg_text_read(struct cfg_text *t, const char *path, char *err, size_t errlen)
{
	struct reader rd = {.t = t, .err = err, .errlen = errlen};

	int r;

	memset(t, 0, sizeof(*t));
	r = read_one(&rd, path, 0, NULL, 0, 0);
	/* An empty file is an empty config, for libconfig to judge. */
	if (!r && !t->text && !(t->text = calloc(1, 1)))
		r = fail(&rd, -ENOMEM, "%s: out of memory", path);
	return r;
}

void cfg_text_free(struct cfg_text *t)
{
	for (int i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->text);
	free(t->lines);
	free(t->ints);
	memset(t, 0, sizeof(*t));
}

struct cfg_origin cfg_text_origin(const struct cfg_text *t, int line)
{
	struct cfg_origin o = {.file = 0, .line = line};

	if (!t->nlines || line < 1)
		return o;
	if ((size_t)line <= t->nlines)
		return t->lines[line - 1];
	/* libconfig counts the end of the text as the line after the last newline. */
	o = t->lines[t->nlines - 1];
	o.line += line - (int)t->nlines;
	return o;
}

uint64_t cfg_text_hash(const struct cfg_text *t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < t->len; i++) {
		h ^= (unsigned char)t->text[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
