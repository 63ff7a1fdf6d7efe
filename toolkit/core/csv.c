/* CSV writer for the timeline and event files of a results folder (RFC 4180 quoting). */
#include "core/csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Enough for the longest %.*f of a double (309 integer digits) with MAX_DECIMALS. */
#define MAX_DECIMALS 20
#define NUM_BUF	     (320 + MAX_DECIMALS)

static void sep(struct csv *c)
{
	if (c->col++ > 0)
		fputc(',', c->f);
}

static void put_field(struct csv *c, const char *s)
{
	sep(c);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, c->f);
		return;
	}
	fputc('"', c->f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', c->f);
		fputc(*s, c->f);
	}
	fputc('"', c->f);
}

int csv_open(struct csv *c, const char *path, const char *const *cols)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (!cols || !cols[0])
		return -EINVAL;
	for (; cols[c->ncols]; c->ncols++)
		;
	c->f = fopen(path, "we");
	if (!c->f)
		return -errno;
	for (int i = 0; i < c->ncols; i++)
		put_field(c, cols[i]);
	r = csv_end_row(c);
	/* The header is not a data row. */
	c->rows = 0;
	return r;
}

void csv_str(struct csv *c, const char *s)
{
	put_field(c, s ? s : "");
}

void csv_u64(struct csv *c, uint64_t v)
{
	sep(c);
	fprintf(c->f, "%llu", (unsigned long long)v);
}

void csv_i64(struct csv *c, int64_t v)
{
	sep(c);
	fprintf(c->f, "%lld", (long long)v);
}

/* True when buf is "-0", "-0.00", ...: a negative value that rounded to zero. */
static bool is_negative_zero(const char *buf)
{
	if (buf[0] != '-')
		return false;
	for (const char *p = buf + 1; *p; p++)
		if (*p != '0' && *p != '.')
			return false;
	return true;
}

void csv_double(struct csv *c, double v, int decimals)
{
	char buf[NUM_BUF];

	sep(c);
	/* An empty field is what spreadsheets, pandas and gnuplot all read as "missing". */
	if (!isfinite(v))
		return;
	if (decimals < 0)
		decimals = 0;
	if (decimals > MAX_DECIMALS)
		decimals = MAX_DECIMALS;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* "-0.000" would make readers that diff runs see a change that is not there. */
	fputs(is_negative_zero(buf) ? buf + 1 : buf, c->f);
}

int csv_end_row(struct csv *c)
{
	int fields = c->col;

	/* The newline is written even for a bad row so that later rows stay aligned. */
	fputc('\n', c->f);
	c->col = 0;
	if (fields != c->ncols)
		return -EINVAL;
	c->rows++;
	return 0;
}

int csv_close(struct csv *c)
{
	int r = 0;

	if (!c->f)
		return 0;
	if (fflush(c->f) != 0)
		r = -errno;
	/* A write that failed earlier leaves only the stream's error flag behind. */
	if (!r && ferror(c->f))
		r = -EIO;
	if (fclose(c->f) != 0 && !r)
		r = -errno;
	c->f = NULL;
	return r;
}
