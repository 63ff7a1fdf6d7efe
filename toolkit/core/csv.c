/* CSV files of a results folder: the writer (RFC 4180 quoting, whole rows on disk) and the
 * reader the analysis commands use. */
#include "core/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Enough for the longest %.*f of a double (309 integer digits) with MAX_DECIMALS. */
#define MAX_DECIMALS 20
#define NUM_BUF	     (320 + MAX_DECIMALS)

/* Whole rows are handed to the kernel once this much is buffered: what a stdio stream
 * buffered before, so files lag behind by as little as they did. */
#define CSV_FLUSH_BYTES 4096

/*
 * Returns `v` grown to hold at least `need` elements of `size` bytes, its capacity *cap
 * doubled (from `first`) so that appends cost O(1) on average; NULL when out of memory,
 * and `v` is then as it was.
 */
static void *grow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;

	if (need <= *cap)
		return v;
	while (n < need)
		n *= 2;
	v = realloc(v, n * size);
	if (v)
		*cap = n;
	return v;
}

/* Makes room for `n` more bytes; a failure is kept in c->err like a write error. */
static bool reserve(struct csv *c, size_t n)
{
	char *p;

	if (c->err)
		return false;
	p = grow(c->buf, &c->cap, c->len + n, 1, 2 * CSV_FLUSH_BYTES);
	if (!p) {
		c->err = -ENOMEM;
		return false;
	}
	c->buf = p;
	return true;
}

static void put_bytes(struct csv *c, const char *s, size_t n)
{
	if (!reserve(c, n))
		return;
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

/* Room for `n` more bytes, counted as written: the caller fills them. NULL after an error. */
static char *room(struct csv *c, size_t n)
{
	char *p;

	if (!reserve(c, n))
		return NULL;
	p = c->buf + c->len;
	c->len += n;
	return p;
}

static void put_char(struct csv *c, char ch)
{
	char *p = room(c, 1);

	if (p)
		*p = ch;
}

static void sep(struct csv *c)
{
	if (c->col++ > 0)
		put_char(c, ',');
}

static void put_field(struct csv *c, const char *s)
{
	sep(c);
	if (!strpbrk(s, ",\"\r\n")) {
		put_bytes(c, s, strlen(s));
		return;
	}
	put_char(c, '"');
	for (; *s; s++) {
		if (*s == '"')
			put_char(c, '"');
		put_char(c, *s);
	}
	put_char(c, '"');
}

static void put_str(struct csv *c, const char *s)
{
	put_bytes(c, s, strlen(s));
}

/*
 * Writes the whole rows, buf[0, row_start), with one write() (more only when the kernel
 * takes part of it). After a failed write nothing more is written: the file then ends
 * where the failure left it, and a later write could only append after a cut row.
 */
int csv_flush(struct csv *c)
{
	size_t done = 0;

	if (c->fd < 0 || c->err)
		return c->err;
	while (done < c->row_start) {
		ssize_t n = write(c->fd, c->buf + done, c->row_start - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->err = -errno;
			break;
		}
		if (n == 0) {
			c->err = -EIO;
			break;
		}
		done += n;
	}
	memmove(c->buf, c->buf + done, c->len - done);
	c->len -= done;
	c->row_start -= done;
	return c->err;
}

/* The header row, written into c->buf. */
static int put_header(struct csv *c, const char *const *cols)
{
	int r;

	for (int i = 0; i < c->ncols; i++)
		put_field(c, cols[i]);
	r = csv_end_row(c);
	/* The header is not a data row. */
	c->rows = 0;
	return r ?: c->err;
}

/* A writer with its columns counted and no file yet: 0, or -EINVAL without columns. */
static int init_writer(struct csv *c, const char *const *cols)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->flush_bytes = CSV_FLUSH_BYTES;
	if (!cols || !cols[0])
		return -EINVAL;
	for (; cols[c->ncols]; c->ncols++)
		;
	return 0;
}

static void drop_writer(struct csv *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int csv_open_mem(struct csv *c, const char *const *cols)
{
	int r = init_writer(c, cols);

	if (r == 0)
		r = put_header(c, cols);
	if (r < 0)
		drop_writer(c);
	return r;
}

int csv_open(struct csv *c, const char *path, const char *const *cols)
{
	int r = init_writer(c, cols);

	if (r < 0)
		return r;
	c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->fd < 0) {
		r = -errno;
		c->fd = -1;
		return r;
	}
	r = put_header(c, cols);
	/* On disk at once: a reader finds the columns even in a file with no rows yet. */
	r = r ?: csv_flush(c);
	if (r < 0)
		drop_writer(c);
	return r;
}

void csv_set_flush_bytes(struct csv *c, size_t bytes)
{
	c->flush_bytes = bytes;
}

void csv_str(struct csv *c, const char *s)
{
	put_field(c, s ? s : "");
}

/* "00" to "99": two digits per division. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* The decimal digits of v, ending at `end`; returns where they start. By hand rather than
 * with printf: the collector writes a dozen numbers per event, and at a million events a
 * second the format parsing was most of its time. */
static char *u64_digits(uint64_t v, char *end)
{
	while (v >= 100) {
		const char *d = digit_pairs + 2 * (v % 100);

		v /= 100;
		*--end = d[1];
		*--end = d[0];
	}
	if (v >= 10) {
		*--end = digit_pairs[2 * v + 1];
		*--end = digit_pairs[2 * v];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* A short field (at most NUM_COPY bytes) from tmp[NUM_COPY, 2 * NUM_COPY): copied as a whole
 * NUM_COPY bytes, which the compiler does in a few moves, and only the field's bytes counted.
 * What lies past them in buf is overwritten by what comes next. */
#define NUM_COPY 32
static void put_short(struct csv *c, const char *p, const char *end)
{
	if (!reserve(c, NUM_COPY))
		return;
	memcpy(c->buf + c->len, p, NUM_COPY);
	c->len += end - p;
}

static void put_u64(struct csv *c, uint64_t v, bool minus)
{
	char tmp[2 * NUM_COPY], *end = tmp + NUM_COPY, *p = u64_digits(v, end);

	if (minus)
		*--p = '-';
	put_short(c, p, end);
}

void csv_u64(struct csv *c, uint64_t v)
{
	sep(c);
	put_u64(c, v, false);
}

void csv_i64(struct csv *c, int64_t v)
{
	sep(c);
	/* The magnitude as unsigned: -INT64_MIN does not fit in int64_t. */
	put_u64(c, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
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

/*
 * "%.*f" of v without printf, for the common case; false (nothing written) where it cannot
 * be sure to give printf's bytes. printf rounds the exact binary value to `decimals` places;
 * here p = |v| x 10^decimals is rounded once (10^decimals is exact up to 10^22), so p is
 * within half an ulp of the exact product. Below 2^40 that is under 2^-13, so when p's
 * fraction is further than 2^-12 from one half, rounding p rounds the exact product the same
 * way. Ties and near-ties, large values and many decimals go to printf.
 */
static bool put_fixed_fast(struct csv *c, double v, int decimals)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
	static const uint64_t ipow10[] = {1,	  10,	   100,	     1000,	10000,
					  100000, 1000000, 10000000, 100000000, 1000000000};
	char tmp[2 * NUM_COPY], *end = tmp + NUM_COPY, *p = end;
	double a = fabs(v), scaled, whole, frac;
	uint64_t n, ip, fp;

	if (decimals >= (int)(sizeof(pow10) / sizeof(pow10[0])))
		return false;
	scaled = a * pow10[decimals];
	if (!(scaled < 0x1p40))
		return false;
	whole = floor(scaled);
	frac = scaled - whole; /* exact: both are below 2^40 */
	if (fabs(frac - 0.5) <= 0x1p-12)
		return false;
	n = (uint64_t)whole + (frac > 0.5);
	ip = n / ipow10[decimals];
	fp = n % ipow10[decimals];
	for (int i = 0; i < decimals; i++, fp /= 10)
		*--p = (char)('0' + fp % 10);
	if (decimals)
		*--p = '.';
	p = u64_digits(ip, p); /* at most 13 digits and 9 decimals: fits in NUM_COPY */
	/* A negative value that rounds to zero is written without its sign (see below). */
	if (signbit(v) && n)
		*--p = '-';
	put_short(c, p, end);
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
	if (put_fixed_fast(c, v, decimals))
		return;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* "-0.000" would make readers that diff runs see a change that is not there. */
	put_str(c, is_negative_zero(buf) ? buf + 1 : buf);
}

int csv_end_row(struct csv *c)
{
	int fields = c->col;

	/* The newline is written even for a bad row so that later rows stay aligned. */
	put_char(c, '\n');
	c->col = 0;
	c->row_start = c->len;
	if (c->row_start >= c->flush_bytes)
		csv_flush(c);
	if (fields != c->ncols)
		return -EINVAL;
	c->rows++;
	return 0;
}

int csv_close(struct csv *c)
{
	int r;

	if (c->fd < 0) {
		free(c->buf);
		c->buf = NULL;
		return 0;
	}
	r = csv_flush(c);
	if (!r && c->len > c->row_start)
		r = -EINVAL;
	if (close(c->fd) != 0 && !r)
		r = -errno;
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return r;
}

static int rec_putc(struct csv_reader *in, char ch)
{
	char *p = grow(in->buf, &in->cap, in->len + 1, 1, 256);

	if (!p)
		return -ENOMEM;
	in->buf = p;
	in->buf[in->len++] = ch;
	return 0;
}

static int rec_start_field(struct csv_reader *in)
{
	size_t *p = grow(in->off, &in->cap_fields, (size_t)in->nfields + 1, sizeof(*p), 16);

	if (!p)
		return -ENOMEM;
	in->off = p;
	in->off[in->nfields++] = in->len;
	return 0;
}

/*
 * Reads one record. Returns 1 with a record ended by its line end, 0 at the end of the file
 * (with in->cut_rows counting what was there without a line end), or -errno.
 */
static int read_record(struct csv_reader *in)
{
	bool quoted = false, any = false, ended = false;
	int ch, err;

	in->len = 0;
	in->nfields = 0;
	in->line = in->next_line;
	err = rec_start_field(in);
	while (!err && (ch = getc_unlocked(in->f)) != EOF) {
		any = true;
		if (ch == '\n')
			in->next_line++;
		if (quoted) {
			if (ch != '"') {
				err = rec_putc(in, ch);
				continue;
			}
			ch = getc_unlocked(in->f);
			if (ch == '"') {
				err = rec_putc(in, '"');
				continue;
			}
			quoted = false;
			if (ch == EOF)
				break;
			if (ch == '\n')
				in->next_line++;
		}
		if (ch == '"') {
			quoted = true;
		} else if (ch == ',') {
			err = rec_putc(in, '\0') ?: rec_start_field(in);
		} else if (ch == '\n') {
			ended = true;
			break;
		} else if (ch != '\r') {
			err = rec_putc(in, ch);
		}
	}
	if (!err)
		err = rec_putc(in, '\0');
	if (err)
		return err;
	if (ferror(in->f))
		return -EIO;
	if (ended)
		return 1;
	/* What a writer killed mid-row left behind: not a row. */
	if (any) {
		in->cut_rows++;
		log_info("%s:%lu: the last row has no line end (its writer was stopped while "
			 "writing it); it is left out",
			 in->path, in->line);
	}
	return 0;
}

int csv_reader_open(struct csv_reader *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	if (snprintf(in->path, sizeof(in->path), "%s", path) >= (int)sizeof(in->path))
		return -ENAMETOOLONG;
	in->next_line = 1;
	in->f = fopen(path, "re");
	return in->f ? 0 : -errno;
}

void csv_reader_close(struct csv_reader *in)
{
	if (in->f)
		fclose(in->f);
	free(in->buf);
	free(in->off);
	in->f = NULL;
	in->buf = NULL;
	in->off = NULL;
	in->len = in->cap = 0;
	in->nfields = in->cap_fields = 0;
}

const char *csv_field(const struct csv_reader *in, int i)
{
	return i >= 0 && i < in->nfields ? in->buf + in->off[i] : "";
}

/* A blank line (at the end of a hand-edited file, say) is not a row. */
static bool is_blank(const struct csv_reader *in)
{
	return in->nfields == 1 && !*csv_field(in, 0);
}

int csv_read_header(struct csv_reader *in, struct csv_col *cols, int ncols)
{
	int r;

	while ((r = read_record(in)) == 1 && is_blank(in))
		;
	if (r < 0)
		return log_err_errno(r, "read %s", in->path);
	if (r == 0) {
		log_err("%s: no header row%s", in->path,
			in->cut_rows ? " (it was cut: the run was stopped while creating the file)"
				     : " (the file is empty)");
		return -EINVAL;
	}
	for (int i = 0; i < ncols; i++) {
		cols[i].idx = -1;
		for (int c = 0; c < in->nfields && cols[i].idx < 0; c++)
			if (strcmp(csv_field(in, c), cols[i].name) == 0)
				cols[i].idx = c;
		if (cols[i].idx < 0 && !cols[i].optional) {
			log_err("%s:%lu: no column '%s' in the header", in->path, in->line,
				cols[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

int csv_next_row(struct csv_reader *in)
{
	int r;

	while ((r = read_record(in)) == 1 && is_blank(in))
		;
	if (r < 0)
		return log_err_errno(r, "read %s", in->path);
	if (r == 1)
		in->rows++;
	return r;
}

bool csv_field_double(const struct csv_reader *in, int i, double *v)
{
	const char *s = csv_field(in, i);
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !*end && !errno && isfinite(*v);
}

bool csv_field_u64(const struct csv_reader *in, int i, uint64_t *v)
{
	const char *s = csv_field(in, i);
	unsigned long long n;
	char *end;

	/* strtoull would take "-1" as 2^64-1 and skip leading blanks. */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end || errno)
		return false;
	*v = n;
	return true;
}
