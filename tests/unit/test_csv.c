/* Unit tests of the CSV writer (quoting, number formats, row accounting, write errors, whole
 * rows after SIGKILL) and of the reader (columns by name, quoted fields, cut last rows). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ccx_test.h"
#include "core/csv.h"

static char tmpdir[] = "/tmp/ccx-test-csv-XXXXXX";

static void path_in_tmp(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void test_quoting(void)
{
	static const char *const cols[] = {"t_s", "flow, name", "note", NULL};
	char path[256], *got;
	struct csv c;

	path_in_tmp(path, sizeof(path), "quoting.csv");
	CHECK(csv_open(&c, path, cols) == 0);
	CHECK(c.ncols == 3);
	CHECK(c.rows == 0);

	csv_double(&c, 0.1, 3);
	csv_str(&c, "plain");
	csv_str(&c, "a,b");
	CHECK(csv_end_row(&c) == 0);

	csv_double(&c, 0.2, 3);
	csv_str(&c, "say \"hi\"");
	csv_str(&c, "two\nlines");
	CHECK(csv_end_row(&c) == 0);

	csv_double(&c, 0.3, 3);
	csv_str(&c, "cr\rhere");
	csv_str(&c, "");
	CHECK(csv_end_row(&c) == 0);

	csv_double(&c, 0.4, 3);
	csv_str(&c, NULL);
	csv_str(&c, "semi;colon 'single' tab\there");
	CHECK(csv_end_row(&c) == 0);

	CHECK(c.rows == 4);
	CHECK(csv_close(&c) == 0);
	CHECK(c.fd == -1);
	got = slurp(path);
	CHECK(got != NULL);
	if (got)
		CHECK_STR_EQ(got, "t_s,\"flow, name\",note\n"
				  "0.100,plain,\"a,b\"\n"
				  "0.200,\"say \"\"hi\"\"\",\"two\nlines\"\n"
				  "0.300,\"cr\rhere\",\n"
				  "0.400,,semi;colon 'single' tab\there\n");
	free(got);
}

static void test_numbers(void)
{
	static const char *const cols[] = {"a", "b", "c", "d", "e", "f", "g", NULL};
	char path[256], *got;
	struct csv c;

	path_in_tmp(path, sizeof(path), "numbers.csv");
	CHECK(csv_open(&c, path, cols) == 0);

	csv_double(&c, 1.23456, 3);
	csv_double(&c, 2.5, 0);
	csv_double(&c, -0.0001, 3); /* rounds to zero: no "-0.000" */
	csv_double(&c, -1.5, 2);
	csv_double(&c, 1e6, 1);
	csv_double(&c, 0.5, -4); /* a negative precision is treated as 0 */
	csv_double(&c, 12.0, 6);
	CHECK(csv_end_row(&c) == 0);

	csv_double(&c, NAN, 3);
	csv_double(&c, INFINITY, 3);
	csv_double(&c, -INFINITY, 3);
	csv_u64(&c, UINT64_MAX);
	csv_i64(&c, INT64_MIN);
	csv_i64(&c, -42);
	csv_u64(&c, 0);
	CHECK(csv_end_row(&c) == 0);

	CHECK(csv_close(&c) == 0);
	got = slurp(path);
	CHECK(got != NULL);
	if (got)
		CHECK_STR_EQ(got, "a,b,c,d,e,f,g\n"
				  "1.235,2,0.000,-1.50,1000000.0,0,12.000000\n"
				  ",,,18446744073709551615,-9223372036854775808,-42,0\n");
	free(got);
}

/* printf's "%.*f", less the sign of a value that rounds to zero: what csv_double must write. */
static void printf_fixed(char *out, size_t len, double v, int decimals)
{
	const char *p = out;

	snprintf(out, len, "%.*f", decimals, v);
	if (*p == '-' && !strpbrk(p, "123456789"))
		memmove(out, out + 1, strlen(out));
}

/* One number per row, against the C library's own formatting: the writer formats numbers by
 * hand (for speed) and must give the same bytes everywhere, ties and near-ties included. */
static void test_numbers_match_printf(void)
{
	static const char *const cols[] = {"x", NULL};
	static const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e12};
	char want[400];
	unsigned long seed = 12345;
	int mismatches = 0;
	struct csv c;

	CHECK(csv_open_mem(&c, cols) == 0);
	for (int i = 0; i < 400000 && mismatches < 5; i++) {
		size_t from = c.row_start;
		int decimals = i % 12;
		double v;
		uint64_t u;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		u = seed >> 11;
		switch (i % 6) {
		case 0: /* what a run writes: times and rates */
			v = (double)u / (1ul << 53) * 1e4;
			break;
		case 1: /* a tie in decimal, nudged by an ulp either way or not at all */
			v = ((double)(u % 100000000) + 0.5) / pow10[decimals];
			v = (u >> 40) % 3 == 0 ? v
					       : nextafter(v, (u >> 40) % 3 == 1 ? 0 : INFINITY);
			break;
		case 2: /* any magnitude, either sign */
			v = ldexp((double)u / (1ul << 53), (int)(u % 160) - 80) *
			    ((u & 1) ? -1 : 1);
			break;
		case 3: /* small negative values that round to zero */
			v = -(double)u / (1ul << 53) / pow10[decimals];
			break;
		case 4: /* near the fast path's bound */
			v = ldexp(1.0 + (double)(u % 1000) / 1000, 40) / pow10[decimals] *
			    (i & 1 ? 1 : -1);
			break;
		default: /* whole numbers, halves and quarters */
			v = (double)(u % 1000000) / 4;
			break;
		}
		csv_double(&c, v, decimals);
		csv_end_row(&c);
		printf_fixed(want, sizeof(want) - 1, v, decimals);
		strcat(want, "\n");
		if (c.row_start - from != strlen(want) ||
		    memcmp(c.buf + from, want, strlen(want))) {
			fprintf(stderr, "csv_double(%.17g, %d): got \"%.*s\", printf \"%s\"\n", v,
				decimals, (int)(c.row_start - from), c.buf + from, want);
			mismatches++;
		}
		/* Keep the buffer small: only the rows' bytes matter. */
		c.len = c.row_start = 0;
	}
	for (int i = 0; i < 100000 && mismatches < 5; i++) {
		int64_t s;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		s = (int64_t)seed >> (i % 64);
		csv_i64(&c, s);
		csv_end_row(&c);
		snprintf(want, sizeof(want), "%" PRId64 "\n", s);
		csv_u64(&c, (uint64_t)s);
		csv_end_row(&c);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%" PRIu64 "\n",
			 (uint64_t)s);
		if (c.row_start != strlen(want) || memcmp(c.buf, want, strlen(want))) {
			fprintf(stderr, "integer %" PRId64 ": got \"%.*s\", printf \"%s\"\n", s,
				(int)c.row_start, c.buf, want);
			mismatches++;
		}
		c.len = c.row_start = 0;
	}
	CHECK(mismatches == 0);
	CHECK(csv_close(&c) == 0);
}

/* A writer told to write in 64 KiB pieces keeps rows until then, and writes whole rows only. */
static void test_flush_bytes(void)
{
	static const char *const cols[] = {"n", "text", NULL};
	const off_t header = (off_t)strlen("n,text\n");
	char path[256];
	struct stat st;
	struct csv c;
	int i = 0;

	path_in_tmp(path, sizeof(path), "flush.csv");
	CHECK(csv_open(&c, path, cols) == 0);
	csv_set_flush_bytes(&c, 64 << 10);
	/* Rows until the one that crosses 64 KiB: the buffer empties then. */
	do {
		csv_i64(&c, i++);
		csv_str(&c, "some forty bytes of text in every row..");
		CHECK(csv_end_row(&c) == 0);
		if (c.row_start > 60000 && c.row_start < (64 << 10))
			CHECK(stat(path, &st) == 0 && st.st_size == header);
	} while (c.row_start && i < 100000);
	CHECK(stat(path, &st) == 0 && st.st_size >= header + (64 << 10) && c.len == 0);
	CHECK(csv_close(&c) == 0);
	unlink(path);
}

static void test_field_count(void)
{
	static const char *const cols[] = {"t_s", "flow", NULL};
	char path[256], *got;
	struct csv c;

	path_in_tmp(path, sizeof(path), "count.csv");
	CHECK(csv_open(&c, path, cols) == 0);

	csv_u64(&c, 1);
	CHECK(csv_end_row(&c) == -EINVAL); /* too few */
	CHECK(c.rows == 0);
	CHECK(c.col == 0);

	csv_u64(&c, 2);
	csv_str(&c, "x");
	csv_str(&c, "extra");
	CHECK(csv_end_row(&c) == -EINVAL); /* too many */
	CHECK(c.rows == 0);

	CHECK(csv_end_row(&c) == -EINVAL); /* empty */

	csv_u64(&c, 3);
	csv_str(&c, "ok");
	CHECK(csv_end_row(&c) == 0);
	CHECK(c.rows == 1);
	CHECK(csv_close(&c) == 0);

	/* A bad row still ends its line, so that the rows after it stay readable. */
	got = slurp(path);
	CHECK(got != NULL);
	if (got)
		CHECK_STR_EQ(got, "t_s,flow\n1\n2,x,extra\n\n3,ok\n");
	free(got);
}

static void test_open_errors(void)
{
	static const char *const none[] = {NULL};
	static const char *const cols[] = {"a", NULL};
	char path[256];
	struct csv c;

	path_in_tmp(path, sizeof(path), "no/such/dir/x.csv");
	CHECK(csv_open(&c, path, cols) == -ENOENT);
	path_in_tmp(path, sizeof(path), "none.csv");
	CHECK(csv_open(&c, path, none) == -EINVAL);
	CHECK(csv_open(&c, path, NULL) == -EINVAL);
	/* Closing what never opened is harmless. */
	CHECK(csv_close(&c) == 0);
}

static void test_write_error(void)
{
	static const char *const cols[] = {"t_s", "flow", "goodput_mbit", NULL};
	struct csv_col rcols[] = {{"t_s"}, {"flow"}, {"goodput_mbit"}};
	struct rlimit old, small;
	struct csv_reader in;
	char path[256];
	struct csv c;
	struct stat st;
	int r;

	/* The header is written at once, so a full disk shows at the open. */
	if (stat("/dev/full", &st) == 0)
		CHECK(csv_open(&c, "/dev/full", cols) == -ENOSPC);
	else
		fprintf(stderr, "note: no /dev/full, a failed open not tested\n");

	/* A file that may not grow past 10000 bytes: its writes fail half-way through. */
	path_in_tmp(path, sizeof(path), "limit.csv");
	CHECK(csv_open(&c, path, cols) == 0);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small = old;
	small.rlim_cur = 10000;
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	for (int i = 0; i < 10000; i++) {
		csv_double(&c, i * 0.01, 3);
		csv_str(&c, "nv");
		csv_double(&c, 12.5, 3);
		CHECK(csv_end_row(&c) == 0);
	}
	CHECK(csv_close(&c) == -EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(stat(path, &st) == 0 && st.st_size == 10000);

	/* Whatever the failure cut, the reader leaves out. */
	CHECK(csv_reader_open(&in, path) == 0);
	CHECK(csv_read_header(&in, rcols, 3) == 0);
	while ((r = csv_next_row(&in)) == 1) {
		double t;

		CHECK(csv_field_double(&in, rcols[0].idx, &t) &&
		      fabs(t - (in.rows - 1) * 0.01) < 1e-9);
	}
	CHECK(r == 0);
	CHECK(in.rows > 500 && in.rows < 1000);
	CHECK(in.cut_rows == 1);
	csv_reader_close(&in);
	unlink(path);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

/* Reads `text` as a CSV file: the header must have t_s and flow; note is optional. */
static int read_text(const char *name, const char *text, struct csv_reader *in,
		     struct csv_col cols[3])
{
	char path[256];
	int r;

	cols[0] = (struct csv_col){"t_s"};
	cols[1] = (struct csv_col){"flow"};
	cols[2] = (struct csv_col){"note", .optional = true};
	path_in_tmp(path, sizeof(path), name);
	write_text(path, text);
	r = csv_reader_open(in, path);
	CHECK(r == 0);
	if (r)
		return r;
	return csv_read_header(in, cols, 3);
}

/* Everything the writer can put in a field comes back as it was. */
static void test_read_back(void)
{
	static const char *const cols[] = {"t_s", "flow, name", "note", NULL};
	static const char *const notes[] = {
	    "plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "", "\"", ",\n,", "\r\n",
	};
	const size_t n = sizeof(notes) / sizeof(notes[0]);
	struct csv_col rc[] = {{"note"}, {"flow, name"}, {"t_s"}, {"absent", .optional = true}};
	struct csv_reader in;
	char path[256];
	struct csv c;
	size_t i = 0;
	double t;
	int r;

	path_in_tmp(path, sizeof(path), "back.csv");
	CHECK(csv_open(&c, path, cols) == 0);
	for (i = 0; i < n; i++) {
		csv_double(&c, 0.5 * i, 1);
		csv_str(&c, notes[(i + 1) % n]);
		csv_str(&c, notes[i]);
		CHECK(csv_end_row(&c) == 0);
	}
	CHECK(csv_close(&c) == 0);

	CHECK(csv_reader_open(&in, path) == 0);
	CHECK(csv_read_header(&in, rc, 4) == 0);
	CHECK(rc[0].idx == 2 && rc[1].idx == 1 && rc[2].idx == 0 && rc[3].idx == -1);
	for (i = 0; (r = csv_next_row(&in)) == 1; i++) {
		if (i >= n)
			break;
		CHECK_STR_EQ(csv_field(&in, rc[0].idx), notes[i]);
		CHECK_STR_EQ(csv_field(&in, rc[1].idx), notes[(i + 1) % n]);
		CHECK(csv_field_double(&in, rc[2].idx, &t) && t == 0.5 * i);
		CHECK_STR_EQ(csv_field(&in, rc[3].idx), "");
	}
	CHECK(r == 0);
	CHECK(i == n);
	CHECK(in.rows == n);
	CHECK(in.cut_rows == 0);
	csv_reader_close(&in);
	unlink(path);
}

static void test_read_header(void)
{
	struct csv_col cols[3];
	struct csv_reader in;

	/* Header only: no rows, no complaint. */
	CHECK(read_text("hdr.csv", "flow,t_s\n", &in, cols) == 0);
	CHECK(cols[0].idx == 1 && cols[1].idx == 0 && cols[2].idx == -1);
	CHECK(csv_next_row(&in) == 0);
	CHECK(in.rows == 0 && in.cut_rows == 0);
	csv_reader_close(&in);

	/* A required column missing. */
	CHECK(read_text("hdr.csv", "t_s,note\n1,x\n", &in, cols) == -EINVAL);
	csv_reader_close(&in);

	/* An empty file has no header. */
	CHECK(read_text("hdr.csv", "", &in, cols) == -EINVAL);
	csv_reader_close(&in);

	/* Neither has one cut before its line end. */
	CHECK(read_text("hdr.csv", "t_s,fl", &in, cols) == -EINVAL);
	CHECK(in.cut_rows == 1);
	csv_reader_close(&in);

	/* Blank lines and CRLF line ends are fine; line numbers count every line. */
	CHECK(read_text("hdr.csv", "\nt_s,flow,note\r\n1,a,\"x\ny\"\r\n\n2,b,z\r\n", &in, cols) ==
	      0);
	CHECK(in.line == 2);
	CHECK(csv_next_row(&in) == 1);
	CHECK(in.line == 3);
	CHECK_STR_EQ(csv_field(&in, cols[2].idx), "x\ny");
	CHECK(csv_next_row(&in) == 1);
	CHECK(in.line == 6);
	CHECK_STR_EQ(csv_field(&in, cols[1].idx), "b");
	CHECK_STR_EQ(csv_field(&in, cols[2].idx), "z");
	CHECK(csv_next_row(&in) == 0);
	CHECK(in.rows == 2);
	csv_reader_close(&in);

	/* A short row reads as empty fields, not as garbage. */
	CHECK(read_text("hdr.csv", "t_s,flow,note\n1\n", &in, cols) == 0);
	CHECK(csv_next_row(&in) == 1);
	CHECK_STR_EQ(csv_field(&in, cols[1].idx), "");
	CHECK_STR_EQ(csv_field(&in, 99), "");
	CHECK_STR_EQ(csv_field(&in, -1), "");
	csv_reader_close(&in);

	CHECK(csv_reader_open(&in, "/nonexistent/x.csv") == -ENOENT);
	csv_reader_close(&in);
}

/* A last row without its line end is what a killed writer leaves: it is not a row. */
static void test_read_cut_row(void)
{
	static const char *const cut[] = {
	    "t_s,flow\n1,a\n2,b\n3,c",		/* in a field */
	    "t_s,flow\n1,a\n2,b\n3,",		/* after a separator */
	    "t_s,flow\n1,a\n2,b\n3,\"c\nd",	/* in a quoted field, after a newline in it */
	    "t_s,flow\n1,a\n2,b\n3,\"c\"",	/* after a closing quote */
	    "t_s,flow\n1,a\n2,b\n3,\"say \"\"", /* after a doubled quote */
	};
	struct csv_col cols[3];
	struct csv_reader in;
	double t;

	for (size_t k = 0; k < sizeof(cut) / sizeof(cut[0]); k++) {
		int r, n = 0;

		CHECK(read_text("cut.csv", cut[k], &in, cols) == 0);
		while ((r = csv_next_row(&in)) == 1) {
			n++;
			CHECK(csv_field_double(&in, cols[0].idx, &t) && t == n);
		}
		CHECK_MSG(r == 0 && n == 2 && in.rows == 2 && in.cut_rows == 1, "case %zu: %d rows",
			  k, n);
		CHECK(in.line == 4);
		csv_reader_close(&in);
	}
	/* The same rows whole. */
	CHECK(read_text("cut.csv", "t_s,flow\n1,a\n2,b\n3,\"c\nd\"\n", &in, cols) == 0);
	while (csv_next_row(&in) == 1)
		;
	CHECK(in.rows == 3 && in.cut_rows == 0);
	csv_reader_close(&in);
}

static void test_read_numbers(void)
{
	struct csv_col cols[3];
	struct csv_reader in;
	uint64_t u;
	double d;

	CHECK(read_text("num.csv",
			"t_s,flow,note\n"
			"1.5,18446744073709551615,\n"
			"-0.25,18446744073709551616,x\n"
			"nan, 7,-1\n"
			"inf,1e3,12x\n",
			&in, cols) == 0);
	CHECK(csv_next_row(&in) == 1);
	CHECK(csv_field_double(&in, cols[0].idx, &d) && d == 1.5);
	CHECK(csv_field_u64(&in, cols[1].idx, &u) && u == UINT64_MAX);
	CHECK(!csv_field_double(&in, cols[2].idx, &d)); /* empty: no value, not 0 */
	CHECK(!csv_field_u64(&in, cols[2].idx, &u));
	CHECK(csv_next_row(&in) == 1);
	CHECK(csv_field_double(&in, cols[0].idx, &d) && d == -0.25);
	CHECK(!csv_field_u64(&in, cols[0].idx, &u));
	CHECK(!csv_field_u64(&in, cols[1].idx, &u)); /* 2^64 */
	CHECK(!csv_field_double(&in, cols[2].idx, &d));
	CHECK(csv_next_row(&in) == 1);
	CHECK(!csv_field_double(&in, cols[0].idx, &d));
	CHECK(!csv_field_u64(&in, cols[1].idx, &u)); /* a leading blank */
	CHECK(!csv_field_u64(&in, cols[2].idx, &u)); /* negative */
	CHECK(csv_next_row(&in) == 1);
	CHECK(!csv_field_double(&in, cols[0].idx, &d));
	CHECK(csv_field_double(&in, cols[1].idx, &d) && d == 1000.0);
	CHECK(!csv_field_u64(&in, cols[2].idx, &u));
	CHECK(csv_next_row(&in) == 0);
	csv_reader_close(&in);
}

/* A row of the kill tests: its number, and a note of varying length and quoting. */
static void put_kill_row(struct csv *c, unsigned long i, unsigned int *seed)
{
	char note[300];
	int len = rand_r(seed) % 280;

	for (int k = 0; k < len; k++)
		note[k] = "ab,\"\n x"[rand_r(seed) % 7];
	note[len] = '\0';
	csv_u64(c, i);
	csv_str(c, "flow");
	csv_str(c, note);
}

/*
 * Checks the file a killed writer left: whole rows only (it ends with a line end), rows
 * 0, 1, ... in order, at least `min_rows` of them. Returns the rows read.
 */
static unsigned long check_killed_file(const char *path, unsigned long min_rows, unsigned int seed)
{
	struct csv_col cols[] = {{"seq"}, {"flow"}, {"note"}};
	struct csv_reader in;
	unsigned long n = 0;
	char *text = slurp(path);
	size_t len = text ? strlen(text) : 0;
	uint64_t seq;
	int r;

	CHECK_MSG(text && len > 0 && text[len - 1] == '\n',
		  "seed %u: %s ends mid-row (%zu bytes, last byte 0x%02x)", seed, path, len,
		  len ? (unsigned char)text[len - 1] : 0);
	free(text);
	CHECK(csv_reader_open(&in, path) == 0);
	CHECK(csv_read_header(&in, cols, 3) == 0);
	while ((r = csv_next_row(&in)) == 1) {
		CHECK_MSG(csv_field_u64(&in, cols[0].idx, &seq) && seq == n, "seed %u: row %lu",
			  seed, n);
		n++;
	}
	CHECK(r == 0);
	CHECK_MSG(in.cut_rows == 0, "seed %u", seed);
	CHECK_MSG(n >= min_rows, "seed %u: %lu rows, at least %lu were written", seed, n, min_rows);
	csv_reader_close(&in);
	return n;
}

/* Writes rows 0 .. rows-1 of the kill tests from `seed` and closes the file, or, with `die`,
 * starts one more row and dies by SIGKILL before its end. */
static void write_kill_rows(const char *path, unsigned long rows, unsigned int seed, bool die)
{
	static const char *const cols[] = {"seq", "flow", "note", NULL};
	struct csv c;

	if (csv_open(&c, path, cols) < 0)
		return;
	for (unsigned long i = 0; i < rows; i++) {
		put_kill_row(&c, i, &seed);
		csv_end_row(&c);
	}
	if (die) {
		put_kill_row(&c, rows, &seed);
		raise(SIGKILL);
	}
	csv_close(&c);
}

/*
 * A writer that kills itself at a seeded point, half-way through a row: the file is the
 * start of what a whole run writes, cut at a row end, short of it by less than the 4 KiB
 * the writer buffers.
 */
static void test_kill_mid_row(void)
{
	char path[256], ref[256];

	path_in_tmp(path, sizeof(path), "killed.csv");
	path_in_tmp(ref, sizeof(ref), "whole.csv");
	for (unsigned int seed = 1; seed <= 20; seed++) {
		unsigned int s = seed;
		unsigned long rows = 50 + rand_r(&s) % 2000;
		char *got, *want;
		size_t n_got, n_want;
		int status;
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			write_kill_rows(path, rows, s, true);
			_exit(2);
		}
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		check_killed_file(path, 0, seed);

		write_kill_rows(ref, rows, s, false);
		got = slurp(path);
		want = slurp(ref);
		CHECK(got && want);
		if (got && want) {
			n_got = strlen(got);
			n_want = strlen(want);
			CHECK_MSG(n_got <= n_want && memcmp(got, want, n_got) == 0,
				  "seed %u: not the start of the whole file", seed);
			CHECK_MSG(n_want - n_got < 4096, "seed %u: %zu of %zu bytes", seed, n_got,
				  n_want);
		}
		free(got);
		free(want);
		unlink(path);
		unlink(ref);
	}
}

/*
 * A writer that makes rows at its own pace, killed from outside at a random time (seeded,
 * the seed printed on failure), as `ccexp cleanup` finds a run killed with SIGKILL.
 */
static void test_kill_random_time(void)
{
	static const char *const cols[] = {"seq", "flow", "note", NULL};
	unsigned long total = 0;
	char path[256];

	path_in_tmp(path, sizeof(path), "killed.csv");
	for (unsigned int seed = 100; seed < 110; seed++) {
		unsigned int s = seed;
		struct timespec wait = {0, 5000000 + rand_r(&s) % 40000000};
		int status, ready[2];
		pid_t pid;
		char ch;

		CHECK(pipe(ready) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			const struct timespec gap = {0, 20000};
			struct csv c;

			close(ready[0]);
			if (csv_open(&c, path, cols) < 0 || write(ready[1], "r", 1) != 1)
				_exit(1);
			for (unsigned long i = 0;; i++) {
				put_kill_row(&c, i, &s);
				csv_end_row(&c);
				nanosleep(&gap, NULL);
			}
		}
		close(ready[1]);
		CHECK(read(ready[0], &ch, 1) == 1);
		close(ready[0]);
		nanosleep(&wait, NULL);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		total += check_killed_file(path, 0, seed);
		unlink(path);
	}
	/* Else the kills came before the first flush and showed nothing. */
	CHECK_MSG(total > 100, "%lu rows in all", total);
}

/* Closing a row that was started and not ended keeps it out of the file. */
static void test_close_unfinished(void)
{
	static const char *const cols[] = {"a", "b", NULL};
	char path[256], *got;
	struct csv c;

	path_in_tmp(path, sizeof(path), "unfinished.csv");
	CHECK(csv_open(&c, path, cols) == 0);
	csv_u64(&c, 1);
	csv_u64(&c, 2);
	CHECK(csv_end_row(&c) == 0);
	csv_u64(&c, 3);
	CHECK(csv_close(&c) == -EINVAL);
	got = slurp(path);
	CHECK(got && strcmp(got, "a,b\n1,2\n") == 0);
	free(got);
	unlink(path);
}

/* A writer with no file keeps every row, past the size at which a file would be flushed,
 * so that the whole text can replace a file in one go. */
static void test_mem(void)
{
	static const char *const cols[] = {"index", "status", NULL};
	char want[64 * 1024], *w = want;
	struct csv c;

	CHECK(csv_open_mem(&c, cols) == 0);
	CHECK(c.fd == -1);
	w += sprintf(w, "index,status\n");
	for (int i = 0; i < 2000; i++) {
		csv_i64(&c, i);
		csv_str(&c, i % 2 ? "complete" : "a,b");
		CHECK(csv_end_row(&c) == 0);
		w += sprintf(w, "%d,%s\n", i, i % 2 ? "complete" : "\"a,b\"");
	}
	csv_str(&c, "unfinished row");
	CHECK(c.rows == 2000);
	CHECK(c.row_start == strlen(want));
	CHECK(c.buf && strncmp(c.buf, want, c.row_start) == 0);
	CHECK(csv_close(&c) == 0);
	CHECK(csv_open_mem(&c, (const char *const[]){NULL}) == -EINVAL);
}

int main(void)
{
	char path[256];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_quoting();
	test_mem();
	test_numbers();
	test_numbers_match_printf();
	test_flush_bytes();
	test_field_count();
	test_open_errors();
	test_write_error();
	test_close_unfinished();
	test_read_back();
	test_read_header();
	test_read_cut_row();
	test_read_numbers();
	test_kill_mid_row();
	test_kill_random_time();

	for (const char *const *n = (const char *const[]){"quoting.csv", "numbers.csv", "count.csv",
							  "hdr.csv", "cut.csv", "num.csv", NULL};
	     *n; n++) {
		path_in_tmp(path, sizeof(path), *n);
		unlink(path);
	}
	rmdir(tmpdir);
	return ccx_test_result();
}
