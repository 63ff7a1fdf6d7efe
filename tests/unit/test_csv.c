/* Unit tests of the CSV writer: quoting, number formats, row accounting, write errors. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

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
	CHECK(c.f == NULL);
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
	struct csv c;
	struct stat st;

	if (stat("/dev/full", &st) != 0) {
		fprintf(stderr, "note: no /dev/full, write error not tested\n");
		return;
	}
	CHECK(csv_open(&c, "/dev/full", cols) == 0);
	/* More than a stdio buffer, so some writes fail before the close. */
	for (int i = 0; i < 10000; i++) {
		csv_double(&c, i * 0.01, 3);
		csv_str(&c, "nv");
		csv_double(&c, 12.5, 3);
		CHECK(csv_end_row(&c) == 0);
	}
	CHECK(csv_close(&c) == -ENOSPC);
}

int main(void)
{
	char path[256];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_quoting();
	test_numbers();
	test_field_count();
	test_open_errors();
	test_write_error();

	for (const char *const *n =
		 (const char *const[]){"quoting.csv", "numbers.csv", "count.csv", NULL};
	     *n; n++) {
		path_in_tmp(path, sizeof(path), *n);
		unlink(path);
	}
	rmdir(tmpdir);
	return ccx_test_result();
}
