/* A config file as libconfig gets it: @includes resolved, with a map back to files and lines,
 * and its integer literals as written. Private to core/. */
#ifndef CCX_CFG_TEXT_H
#define CCX_CFG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a line of the resolved text comes from. */
struct cfg_origin {
	int file; /* index into cfg_text.files */
	int line; /* 1-based, in that file */
};

/*
 * An integer literal (123, -7, 0x1F, 5L): libconfig 1.5 keeps one without L in 32 bits and
 * wraps it without a word, and clamps one with L, so ccexp reads the literal itself.
 */
struct cfg_int {
	long long value; /* when !overflow */
	double approx;	 /* the literal as a double, for settings that take any number */
	bool overflow;	 /* beyond a long long */
	size_t off, len; /* the literal in cfg_text.text */
};

struct cfg_text {
	char *text; /* NUL-terminated; each @include line replaced by the file's text */
	size_t len;
	struct cfg_origin *lines; /* lines[i] for line i + 1 of text */
	size_t nlines;
	char **files; /* files[0] is the config's path as given; then each @include'd file */
	int nfiles;
	struct cfg_int *ints; /* every integer literal, in the order of the text */
	size_t nints;
};

/*
 * Reads `path` and every file it @includes (a relative name is taken from the folder of
 * the file that includes it). Returns 0, or -errno with "file[:line]: what" in err; the
 * caller frees t with cfg_text_free() either way.
 */
int cfg_text_read(struct cfg_text *t, const char *path, char *err, size_t errlen);
void cfg_text_free(struct cfg_text *t);
/* The origin of line `line` (1-based) of the resolved text; past the end, lines after the
 * last one of its file. */
struct cfg_origin cfg_text_origin(const struct cfg_text *t, int line);
/* A 64-bit FNV-1a hash of the resolved text, to tell whether a file changed since. */
uint64_t cfg_text_hash(const struct cfg_text *t);

#endif
