/* Reads mahimahi link traces: one delivery opportunity (a millisecond timestamp) per line. */
#include "link/emu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							  ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One line: -1 when it is not a timestamp, 0 when blank, 1 with the value in *v. */
static int parse_line(const char *s, size_t len, uint64_t *v)
{
	size_t i = 0, end = len;

	while (i < end && is_space(s[i]))
		i++;
	while (end > i && is_space(s[end - 1]))
		end--;
	if (i == end)
		return 0;
	*v = 0;
	for (; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
		if (*v > UINT32_MAX)
			return -1;
	}
	return 1;
}

int emu_trace_load(const char *path, uint32_t **ms, size_t *n, uint32_t *period_ms, char *err,
		   size_t errlen)
{
	uint32_t *v = NULL, *grown;
	size_t nv = 0, cap = 0, linecap = 0;
	unsigned long lineno = 0, last_line = 0;
	char *line = NULL;
	ssize_t len;
	uint64_t t;
	FILE *f;
	int r = 0;

	*ms = NULL;
	*n = 0;
	*period_ms = 0;
	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		set_err(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	while ((len = getline(&line, &linecap, f)) != -1) {
		int k = parse_line(line, (size_t)len, &t);

		lineno++;
		if (k == 0)
			continue;
		if (k < 0) {
			set_err(err, errlen, "%s:%lu: not a millisecond timestamp", path, lineno);
			r = -EINVAL;
			goto out;
		}
		if (nv && t < v[nv - 1]) {
			set_err(err, errlen, "%s:%lu: %llu ms comes before the previous %u ms",
				path, lineno, (unsigned long long)t, v[nv - 1]);
			r = -EINVAL;
			goto out;
		}
		if (nv == cap) {
			cap = cap ? 2 * cap : 4096;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				set_err(err, errlen, "%s: out of memory", path);
				r = -ENOMEM;
				goto out;
			}
			v = grown;
		}
		v[nv++] = (uint32_t)t;
		last_line = lineno;
	}
	if (ferror(f)) {
		set_err(err, errlen, "%s: read error", path);
		r = -EIO;
		goto out;
	}
	if (!nv) {
		set_err(err, errlen, "%s: no timestamps", path);
		r = -EINVAL;
		goto out;
	}
	/* The last timestamp is the period: without one the trace cannot repeat. */
	if (v[nv - 1] == 0) {
		set_err(err, errlen, "%s:%lu: the last timestamp is 0, so the trace has no period",
			path, last_line);
		r = -EINVAL;
		goto out;
	}
	*ms = v;
	*n = nv;
	*period_ms = v[nv - 1];
	v = NULL;
out:
	free(v);
	free(line);
	fclose(f);
	return r;
}
