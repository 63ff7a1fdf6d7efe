/* Paths built from the user's output folder, and files replaced whole or not at all. */
#ifndef CCX_PATH_H
#define CCX_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* snprintf into buf that fails instead of cutting: returns 0, or -ENAMETOOLONG when the
 * result (with its NUL) does not fit in size bytes (buf then holds the cut text). */
int path_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Replaces `path` by `len` bytes of `data`: written to a temporary file in the same folder,
 * flushed to the disk, then renamed over `path`, so a reader sees the old file or the new
 * one, never a part. Returns 0 or the -errno of the step that failed (the old file is then
 * untouched and no temporary file is left). */
int path_replace_file(const char *path, const void *data, size_t len);

/* Whether `name`, a file name in a folder, is the temporary file path_replace_file makes for
 * `file` there (".<file>.XXXXXX"): one left behind was its writer's when it was killed. */
bool path_is_temp_of(const char *name, const char *file);

/* The whole of a file, NUL-terminated, in *out (malloc'ed). Returns its length, or -errno
 * (-EFBIG past max bytes). */
ssize_t path_read_whole(const char *path, size_t max, char **out);

#endif
