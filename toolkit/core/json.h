/* Streaming JSON writer for meta.json: pretty-printed, commas and nesting tracked for you. */
#ifndef CCX_JSON_H
#define CCX_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

/*
 * Usage:
 *	struct json j;
 *	int r = json_open(&j, "meta.json");
 *	json_object_begin(&j);
 *	json_kv_str(&j, "name", "nv-vs-cubic");
 *	json_key(&j, "flows");
 *	json_array_begin(&j);
 *	...
 *	json_array_end(&j);
 *	json_object_end(&j);
 *	r = json_close(&j);
 *
 * The writers return nothing: the first error (a failed write, or misuse such as a value
 * without a key inside an object, -EINVAL) is kept and returned by json_finish/json_close,
 * and everything after it is ignored. Output is indented by two spaces, ends with a newline.
 */
struct json {
	FILE *f;
	bool owns_f;			     /* opened by json_open, so json_close closes it */
	int err;			     /* first error, -errno */
	int depth;			     /* open containers */
	bool have_key;			     /* a key was written and awaits its value */
	bool done;			     /* the top-level value is complete */
	char kind[JSON_MAX_DEPTH];	     /* '{' or '[' for each open container */
	unsigned long count[JSON_MAX_DEPTH]; /* members written so far in each container */
};

/* Writes to `f`, which stays the caller's: json_finish does not close it. */
void json_init(struct json *j, FILE *f);
/* Creates (truncates) `path`. Returns 0 or -errno. */
int json_open(struct json *j, const char *path);
/* Checks every container was closed, writes the final newline and flushes.
 * Returns 0 or the first error (-EINVAL for unbalanced or misused calls, -errno for I/O). */
int json_finish(struct json *j);
/* json_finish, then closes the file if json_open opened it. Returns 0 or the first error. */
int json_close(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* Inside an object, every value is preceded by its key. */
void json_key(struct json *j, const char *key);

/* NULL is written as null. Bytes >= 0x80 are copied as they are (UTF-8 in, UTF-8 out). */
void json_str(struct json *j, const char *s);
void json_strf(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
/* The shortest form that reads back to the same double; NaN and infinities become null. */
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Key and value in one call, for the common case. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);

/*
 * Edits of a document written by this writer (a top-level object, one member per line at
 * two spaces' indent), for changing a saved meta.json without a JSON reader.
 */
/* The top-level member `key` when it is a plain string (no escapes): 0, -ENOENT when there
 * is no such member, -EINVAL when it is not such a string, -ENAMETOOLONG when buf is short. */
int json_doc_get_str(const char *text, const char *key, char *buf, size_t len);
/* Sets each top-level member of `members` (another such document) in `text`: replaces the
 * member of the same key, or adds it after member `after_key` (or last, when that is NULL or
 * absent). *out is a new malloc'd document. Returns 0, -EINVAL for text not in that layout,
 * or -ENOMEM. */
int json_doc_set(const char *text, const char *members, const char *after_key, char **out);

#endif
