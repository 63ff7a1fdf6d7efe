/* A JSON document read back, each scalar under its path: enough to show a saved meta.json. */
#ifndef CCX_JSON_FLAT_H
#define CCX_JSON_FLAT_H

struct json_kv {
	char *path; /* "kernel.release", "charts.failed[0].reason"; "" for a top-level scalar */
	char *val;  /* a string's value unescaped (UTF-8), else the token: 12.5, true, null */
};

struct json_flat {
	struct json_kv *kv; /* in the document's order */
	int n, cap;
};

/* Parses text (RFC 8259; nesting up to 32 deep) into j, which starts zeroed. Returns 0,
 * -EINVAL for text that is not one JSON value (j then holds what came before), -ENOMEM or
 * -ENAMETOOLONG for a path past 511 bytes. */
int json_flat_parse(const char *text, struct json_flat *j);
/* The value at path, NULL when there is none. */
const char *json_flat_get(const struct json_flat *j, const char *path);
void json_flat_free(struct json_flat *j);

#endif
