/* CSV writer: a header row, then typed fields; strings are quoted only when they must be. */
#ifndef CCX_CSV_H
#define CCX_CSV_H

#include <stdint.h>
#include <stdio.h>

struct csv {
	FILE *f;
	unsigned long rows; /* data rows written, the header not counted */
	int ncols;
	int col; /* fields written in the current row */
};

/* Creates (truncates) `path` and writes the header; `cols` is NULL-terminated.
 * Returns 0 or -errno. */
int csv_open(struct csv *c, const char *path, const char *const *cols);
void csv_str(struct csv *c, const char *s);
void csv_u64(struct csv *c, uint64_t v);
void csv_i64(struct csv *c, int64_t v);
/* `decimals` digits after the point; NaN and infinities are written as an empty field. */
void csv_double(struct csv *c, double v, int decimals);
/* Ends the row; returns 0, or -EINVAL when the row has the wrong number of fields. */
int csv_end_row(struct csv *c);
/* Flushes and closes; returns 0 or -errno of the first write error. */
int csv_close(struct csv *c);

#endif
