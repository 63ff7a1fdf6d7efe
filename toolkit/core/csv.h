/* CSV files of a results folder: the writer (whole rows only) and the reader (columns by name). */
#ifndef CCX_CSV_H
#define CCX_CSV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The writer keeps its output in its own buffer and hands the kernel whole rows only, with
 * one write() per flush: a process killed between two calls leaves whole rows on disk,
 * where a stdio stream would have been cut wherever its buffer happened to fill.
 */
struct csv {
	int fd;		    /* -1 when not open */
	char *buf;	    /* rows not written yet, then the current row's fields */
	size_t len, cap;    /* bytes in buf, its size */
	size_t row_start;   /* where the current row begins in buf: everything before is whole */
	int err;	    /* first write error, -errno; nothing is written after it */
	unsigned long rows; /* data rows written, the header not counted */
	int ncols;
	int col;	    /* fields written in the current row */
	size_t flush_bytes; /* whole rows go to the kernel once this much is buffered */
};

/* Creates (truncates) `path` and writes the header; `cols` is NULL-terminated.
 * Returns 0 or -errno. */
int csv_open(struct csv *c, const char *path, const char *const *cols);
/* Hands rows to the kernel in writes of about `bytes` (4 KiB by default): fewer, larger
 * writes for a writer that flushes on a timer of its own. */
void csv_set_flush_bytes(struct csv *c, size_t bytes);
/* The same writer with no file: every row stays in c->buf, the whole ones in
 * [0, c->row_start), for a file that is replaced in one go (path_replace_file). csv_close
 * frees them. Returns 0 or -ENOMEM. */
int csv_open_mem(struct csv *c, const char *const *cols);
void csv_str(struct csv *c, const char *s);
void csv_u64(struct csv *c, uint64_t v);
void csv_i64(struct csv *c, int64_t v);
/* `decimals` digits after the point; NaN and infinities are written as an empty field. */
void csv_double(struct csv *c, double v, int decimals);
/* Ends the row; returns 0, or -EINVAL when the row has the wrong number of fields. */
int csv_end_row(struct csv *c);
/* Writes the whole rows buffered so far. Returns 0 or -errno of the first write error. */
int csv_flush(struct csv *c);
/* Writes the whole rows and closes; returns 0 or -errno of the first write error, -EINVAL
 * when a row was left unfinished (its fields are not written). */
int csv_close(struct csv *c);

/*
 * The reader: RFC 4180 records (quoted fields may hold commas, doubled quotes, CR and LF),
 * a header whose columns are found by name, then the data rows. A row counts only once its
 * line end is read: a last row without one was cut when its writer died, and is left out
 * (counted in `cut_rows` and reported with log_info). Blank lines are skipped.
 *
 *	struct csv_col cols[] = {{"t_s"}, {"flow"}, {"srtt_us", .optional = true}};
 *	r = csv_reader_open(&in, path) ?: csv_read_header(&in, cols, 3);
 *	while (r == 0 && (r = csv_next_row(&in)) == 1)
 *		... csv_field(&in, cols[1].idx), csv_field_double(&in, cols[0].idx, &t_s) ...
 *	csv_reader_close(&in);
 */
struct csv_reader {
	FILE *f;
	char path[PATH_MAX];	 /* for messages */
	unsigned long line;	 /* line on which the current record starts (1-based) */
	unsigned long next_line; /* line the next record starts on */
	unsigned long rows;	 /* data rows read */
	unsigned long cut_rows;	 /* a last row without its line end: 0 or 1 */
	char *buf;		 /* the current record's fields, each NUL-terminated */
	size_t len, cap;
	size_t *off; /* where each field starts in buf */
	size_t cap_fields;
	int nfields;
};

struct csv_col {
	const char *name;
	bool optional; /* a required column missing from the header is an error */
	int idx;       /* set by csv_read_header: the column's index, -1 when absent */
};

/* Opens `path` for reading. Returns 0 or -errno (with nothing to close). */
int csv_reader_open(struct csv_reader *in, const char *path);
void csv_reader_close(struct csv_reader *in);
/*
 * Reads the header row and finds each column of `cols` by its name. Logs what is wrong
 * (naming the file and the column) and returns -EINVAL when the file has no header row or
 * lacks a required column, -errno when it cannot be read.
 */
int csv_read_header(struct csv_reader *in, struct csv_col *cols, int ncols);
/* Reads the next data row: 1 with a row, 0 at the end of the file, -errno (logged). */
int csv_next_row(struct csv_reader *in);
/* Field `i` of the current row; "" when the row has no such field (or i is -1). */
const char *csv_field(const struct csv_reader *in, int i);
/* True with *v when the field is a finite number: an empty field means "no value", not 0. */
bool csv_field_double(const struct csv_reader *in, int i, double *v);
/* True with *v when the field is a decimal unsigned integer that fits in 64 bits. */
bool csv_field_u64(const struct csv_reader *in, int i, uint64_t *v);

#endif
