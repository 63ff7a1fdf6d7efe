/* Unit tests of the JSON writer: exact output for nesting, escaping, numbers and misuse. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ccx_test.h"
#include "core/json.h"

/* A writer into memory; done() finishes it and returns the text (caller frees). */
struct mem {
	struct json j;
	FILE *f;
	char *buf;
	size_t len;
	int finish;
};

static void mem_start(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	json_init(&m->j, m->f);
}

static char *mem_done(struct mem *m)
{
	m->finish = json_finish(&m->j);
	fclose(m->f);
	return m->buf;
}

static void test_document(void)
{
	struct mem m;
	char *got;

	mem_start(&m);
	json_object_begin(&m.j);
	json_kv_str(&m.j, "name", "nv-vs-cubic");
	json_kv_int(&m.j, "format_version", 1);
	json_kv_bool(&m.j, "complete", true);
	json_kv_null(&m.j, "error");
	json_key(&m.j, "flows");
	json_array_begin(&m.j);
	json_object_begin(&m.j);
	json_kv_str(&m.j, "cc", "nv");
	json_kv_double(&m.j, "start_s", 0);
	json_kv_uint(&m.j, "bytes", 123456789012ULL);
	json_object_end(&m.j);
	json_object_begin(&m.j);
	json_object_end(&m.j);
	json_array_begin(&m.j);
	json_array_end(&m.j);
	json_array_begin(&m.j);
	json_int(&m.j, 1);
	json_bool(&m.j, false);
	json_array_end(&m.j);
	json_array_end(&m.j);
	json_key(&m.j, "sysctls");
	json_object_begin(&m.j);
	json_key(&m.j, "net.ipv4.tcp_congestion_control");
	json_strf(&m.j, "%s-%d", "cubic", 2);
	json_object_end(&m.j);
	json_object_end(&m.j);
	got = mem_done(&m);

	CHECK(m.finish == 0);
	CHECK_STR_EQ(got, "{\n"
			  "  \"name\": \"nv-vs-cubic\",\n"
			  "  \"format_version\": 1,\n"
			  "  \"complete\": true,\n"
			  "  \"error\": null,\n"
			  "  \"flows\": [\n"
			  "    {\n"
			  "      \"cc\": \"nv\",\n"
			  "      \"start_s\": 0.0,\n"
			  "      \"bytes\": 123456789012\n"
			  "    },\n"
			  "    {},\n"
			  "    [],\n"
			  "    [\n"
			  "      1,\n"
			  "      false\n"
			  "    ]\n"
			  "  ],\n"
			  "  \"sysctls\": {\n"
			  "    \"net.ipv4.tcp_congestion_control\": \"cubic-2\"\n"
			  "  }\n"
			  "}\n");
	free(got);
}

static void test_escaping(void)
{
	struct mem m;
	char *got;

	mem_start(&m);
	json_object_begin(&m.j);
	json_kv_str(&m.j, "q\"uote", "a\"b\\c/d");
	json_kv_str(&m.j, "ws", "\b\f\n\r\t");
	json_kv_str(&m.j, "ctl", "\x01\x1f\x7f");
	json_kv_str(&m.j, "utf8", "\xc3\xa9t\xc3\xa9");
	json_kv_str(&m.j, "null", NULL);
	json_kv_str(&m.j, "", "");
	json_object_end(&m.j);
	got = mem_done(&m);

	CHECK(m.finish == 0);
	CHECK_STR_EQ(got, "{\n"
			  "  \"q\\\"uote\": \"a\\\"b\\\\c/d\",\n"
			  "  \"ws\": \"\\b\\f\\n\\r\\t\",\n"
			  "  \"ctl\": \"\\u0001\\u001f\x7f\",\n"
			  "  \"utf8\": \"\xc3\xa9t\xc3\xa9\",\n"
			  "  \"null\": null,\n"
			  "  \"\": \"\"\n"
			  "}\n");
	free(got);
}

static void test_numbers(void)
{
	struct mem m;
	char *got;

	mem_start(&m);
	json_array_begin(&m.j);
	json_int(&m.j, INT64_MIN);
	json_int(&m.j, INT64_MAX);
	json_uint(&m.j, UINT64_MAX);
	json_double(&m.j, 0.1);
	json_double(&m.j, 30.0);
	json_double(&m.j, 1.0 / 3);
	json_double(&m.j, 1e21);
	json_double(&m.j, -2.5e-7);
	json_double(&m.j, -0.0);
	json_double(&m.j, NAN);
	json_double(&m.j, INFINITY);
	json_double(&m.j, -INFINITY);
	json_array_end(&m.j);
	got = mem_done(&m);

	CHECK(m.finish == 0);
	CHECK_STR_EQ(got, "[\n"
			  "  -9223372036854775808,\n"
			  "  9223372036854775807,\n"
			  "  18446744073709551615,\n"
			  "  0.1,\n"
			  "  30.0,\n"
			  "  0.3333333333333333,\n"
			  "  1e+21,\n"
			  "  -2.5e-07,\n"
			  "  -0.0,\n"
			  "  null,\n"
			  "  null,\n"
			  "  null\n"
			  "]\n");
	free(got);
}

static void test_scalar_top_level(void)
{
	struct mem m;
	char *got;

	mem_start(&m);
	json_str(&m.j, "alone");
	got = mem_done(&m);
	CHECK(m.finish == 0);
	CHECK_STR_EQ(got, "\"alone\"\n");
	free(got);
}

/* Each misuse is reported at the end as -EINVAL, and nothing after it is written. */
static void test_misuse(void)
{
	struct mem m;
	char *got;

	mem_start(&m);
	json_object_begin(&m.j);
	json_int(&m.j, 1); /* a value without a key */
	json_object_end(&m.j);
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	CHECK_STR_EQ(got, "{");
	free(got);

	mem_start(&m);
	json_array_begin(&m.j);
	json_key(&m.j, "k"); /* a key in an array */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_object_begin(&m.j);
	json_key(&m.j, "a");
	json_key(&m.j, "b"); /* a key after a key */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_object_begin(&m.j);
	json_key(&m.j, "a");
	json_object_end(&m.j); /* the key has no value */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_object_begin(&m.j);
	json_array_end(&m.j); /* the wrong closer */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_array_begin(&m.j); /* never closed */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_array_end(&m.j); /* nothing open */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_int(&m.j, 1);
	json_int(&m.j, 2); /* two documents */
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	CHECK_STR_EQ(got, "1");
	free(got);

	mem_start(&m);
	got = mem_done(&m); /* no document at all */
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(&m.j);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_end(&m.j);
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);

	mem_start(&m);
	json_object_begin(&m.j);
	json_key(&m.j, NULL);
	got = mem_done(&m);
	CHECK(m.finish == -EINVAL);
	free(got);
}

static void test_files(void)
{
	char dir[] = "/tmp/ccx-test-json-XXXXXX", path[256];
	struct stat st;
	struct json j;
	FILE *f;
	char buf[64] = "";
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	CHECK(json_open(&j, path) == 0);
	json_object_begin(&j);
	json_kv_str(&j, "status", "complete");
	json_object_end(&j);
	CHECK(json_close(&j) == 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	CHECK_STR_EQ(buf, "{\n  \"status\": \"complete\"\n}\n");
	unlink(path);

	snprintf(path, sizeof(path), "%s/no/such/meta.json", dir);
	CHECK(json_open(&j, path) == -ENOENT);
	CHECK(json_close(&j) == -EBADF);
	rmdir(dir);

	if (stat("/dev/full", &st) != 0) {
		fprintf(stderr, "note: no /dev/full, write error not tested\n");
		return;
	}
	CHECK(json_open(&j, "/dev/full") == 0);
	json_array_begin(&j);
	for (int i = 0; i < 5000; i++)
		json_str(&j, "a string long enough to fill the stdio buffer soon");
	json_array_end(&j);
	CHECK(json_close(&j) == -ENOSPC);
}

/* Members of a saved document read and set without a JSON reader. */
static void test_doc_edits(void)
{
	static const char doc[] = "{\n"
				  "  \"run_id\": \"ab12\",\n"
				  "  \"status\": \"running\",\n"
				  "  \"charts\": {\n"
				  "    \"drawn\": [\n"
				  "      \"plots/a.png\"\n"
				  "    ],\n"
				  "    \"note\": \"\\n  \\\"x\\\": 1\"\n"
				  "  },\n"
				  "  \"end\": null\n"
				  "}\n";
	char buf[32], *out = NULL;

	CHECK(json_doc_get_str(doc, "status", buf, sizeof(buf)) == 0);
	CHECK_STR_EQ(buf, "running");
	CHECK(json_doc_get_str(doc, "run_id", buf, sizeof(buf)) == 0);
	CHECK_STR_EQ(buf, "ab12");
	CHECK(json_doc_get_str(doc, "stat", buf, sizeof(buf)) == -ENOENT);
	CHECK(json_doc_get_str(doc, "end", buf, sizeof(buf)) == -EINVAL);
	CHECK(json_doc_get_str(doc, "drawn", buf, sizeof(buf)) == -ENOENT); /* not top level */
	CHECK(json_doc_get_str(doc, "status", buf, 4) == -ENAMETOOLONG);

	/* Replace a string, replace an object, add after a member, add last. */
	CHECK(json_doc_set(doc,
			   "{\n  \"status\": \"killed\",\n  \"charts\": {},\n"
			   "  \"error\": \"gone\",\n  \"cut\": [\n    \"a.csv\"\n  ]\n}\n",
			   "status", &out) == 0);
	CHECK_STR_EQ(out, "{\n"
			  "  \"run_id\": \"ab12\",\n"
			  "  \"status\": \"killed\",\n"
			  "  \"cut\": [\n"
			  "    \"a.csv\"\n"
			  "  ],\n"
			  "  \"error\": \"gone\",\n"
			  "  \"charts\": {},\n"
			  "  \"end\": null\n"
			  "}\n");
	free(out);
	out = NULL;
	CHECK(json_doc_set(doc, "{\n  \"last\": 1\n}\n", NULL, &out) == 0);
	CHECK(out && strstr(out, "  \"end\": null,\n  \"last\": 1\n}\n"));
	free(out);
	out = NULL;
	CHECK(json_doc_set(doc, "{\n  \"end\": \"2026\"\n}\n", "nosuch", &out) == 0);
	CHECK(out && strstr(out, "  },\n  \"end\": \"2026\"\n}\n"));
	free(out);
	out = NULL;
	CHECK(json_doc_set("[1]", "{\n  \"a\": 1\n}\n", NULL, &out) == -EINVAL);
	CHECK(out == NULL);
}

int main(void)
{
	test_doc_edits();
	test_document();
	test_escaping();
	test_numbers();
	test_scalar_top_level();
	test_misuse();
	test_files();
	return ccx_test_result();
}
