/* HTML pieces of report.html: escaped text and URLs, and CSV files shown as tables. */
#ifndef CCX_HTML_H
#define CCX_HTML_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s as HTML text, safe in element content and in a quoted attribute: & < > " ' as
 * entities, control characters other than tab, LF and CR as U+FFFD. NULL writes nothing. */
void html_text(FILE *f, const char *s);

/* Writes a relative path as a URL for href or src: every byte other than letters, digits,
 * - . _ ~ and / percent-encoded, so names with spaces, #, ? or : still point at the file. */
void html_url(FILE *f, const char *path);

/* A whole CSV file: its header and rows, every field a string. */
struct table {
	int ncols, nrows;
	char **head;
	char ***rows;
};

/* Reads path into t (whole rows only, as csv.h reads). Returns 0, -ENOENT when there is no
 * such file, or -errno (-EINVAL for a file without a header, logged). */
int table_load(const char *path, struct table *t);
void table_free(struct table *t);
/* The index of column `name`, -1 when there is none. */
int table_col(const struct table *t, const char *name);
/* The field at (row, col); "" for col -1. */
const char *table_cell(const struct table *t, int row, int col);

/* A header cell; a data cell (numbers right-aligned, 4 significant digits past the point with
 * the file's text as the tooltip). */
void html_th(FILE *f, const char *s);
void html_td_value(FILE *f, const char *v);

/* The columns `cols` of t (NULL-terminated; NULL: all), a table row per row; a row whose
 * `hl_col` is not `hl_unless` is marked (class badrow). */
void html_table(FILE *f, const struct table *t, const char *const *cols, const char *hl_col,
		const char *hl_unless);

/*
 * The rows of t (a long-form file: `scope`, `metric` columns) whose scope is `scope`, pivoted:
 * a table row per distinct value of the `keys` columns (NULL-terminated, at most 8), a table
 * column per metric in the order first met, each cell written by `cell` from the row holding
 * it; by_metric swaps the two (a row per metric). Returns 0 or -ENOMEM.
 */
int html_pivot(FILE *f, const struct table *t, const char *scope, const char *const *keys,
	       bool by_metric, void (*cell)(FILE *f, const struct table *t, int row));

/* A list of distinct strings, in the order first met. */
struct names {
	char **s;
	int n, cap;
};

/* The index of s, -1 when absent. */
int names_find(const struct names *l, const char *s);
/* Adds s unless there: returns its index, or -ENOMEM. */
int names_add(struct names *l, const char *s);
void names_free(struct names *l);

#endif
