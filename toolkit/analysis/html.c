/* HTML pieces of report.html: escaped text and URLs, and CSV files shown as tables. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/html.h"
#include "core/csv.h"

void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c == '\'')
			fputs("&#39;", f);
		else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			fputs("\xef\xbf\xbd", f); /* a parse error in HTML, shown as U+FFFD */
		else
			fputc(c, f);
	}
}

void html_url(FILE *f, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			fputc(*p, f);
		else
			fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->ncols; i++)
		free(t->head[i]);
	for (int r = 0; r < t->nrows; r++) {
		for (int i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->head);
	free(t->rows);
	*t = (struct table){0};
}

/* The fields of the reader's current record, as many as the header has. */
static char **record(const struct csv_reader *in, int ncols)
{
	char **row = calloc(ncols, sizeof(*row));

	for (int i = 0; row && i < ncols; i++) {
		row[i] = strdup(csv_field(in, i));
		if (!row[i]) {
			while (i--)
				free(row[i]);
			free(row);
			return NULL;
		}
	}
	return row;
}

/* Returns 0, -ENOENT when there is no such file, or -errno. */
int table_load(const char *path, struct table *t)
{
	struct csv_reader in;
	int r, cap = 0;

	*t = (struct table){0};
	r = csv_reader_open(&in, path);
	if (r < 0)
		return r;
	r = csv_read_header(&in, NULL, 0);
	if (r == 0) {
		t->ncols = in.nfields;
		t->head = record(&in, t->ncols);
		if (!t->head)
			r = -ENOMEM;
	}
	while (r == 0 && (r = csv_next_row(&in)) == 1) {
		if (t->nrows == cap) {
			char ***rows = realloc(t->rows, (cap = cap ? 2 * cap : 64) * sizeof(*rows));

			if (!rows) {
				r = -ENOMEM;
				break;
			}
			t->rows = rows;
		}
		t->rows[t->nrows] = record(&in, t->ncols);
		if (!t->rows[t->nrows]) {
			r = -ENOMEM;
			break;
		}
		t->nrows++;
		r = 0;
	}
	csv_reader_close(&in);
	if (r < 0)
		table_free(t);
	return r;
}

int table_col(const struct table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->head[i], name))
			return i;
	return -1;
}

const char *table_cell(const struct table *t, int row, int col)
{
	return col < 0 ? "" : t->rows[row][col];
}

/* A number as it reads well (4 significant digits past the point), the file's text in the
 * cell's title; anything else as it is. */
void html_td_value(FILE *f, const char *v)
{
	char *end;
	double x = strtod(v, &end);

	if (*v && !*end && strpbrk(v, ".eE")) {
		fputs("<td class=\"num\" title=\"", f);
		html_text(f, v);
		fprintf(f, "\">%.4g</td>", x);
	} else if (*v && !*end) {
		fputs("<td class=\"num\">", f);
		html_text(f, v);
		fputs("</td>", f);
	} else {
		fputs("<td>", f);
		html_text(f, v);
		fputs("</td>", f);
	}
}

void html_th(FILE *f, const char *s)
{
	fputs("<th>", f);
	html_text(f, s);
	fputs("</th>", f);
}

/* Columns `cols` (NULL-terminated; NULL: all) of t, one table row per row. */
void html_table(FILE *f, const struct table *t, const char *const *cols, const char *hl_col,
		const char *hl_unless)
{
	int idx[64], n = 0, hl = hl_col ? table_col(t, hl_col) : -1;

	for (int i = 0; cols ? cols[i] != NULL : i < t->ncols; i++) {
		int c = cols ? table_col(t, cols[i]) : i;

		if (c >= 0 && n < 64)
			idx[n++] = c;
	}
	fputs("<div class=\"scroll\"><table>\n<tr>", f);
	for (int i = 0; i < n; i++)
		html_th(f, t->head[idx[i]]);
	fputs("</tr>\n", f);
	for (int r = 0; r < t->nrows; r++) {
		bool bad = hl >= 0 && strcmp(table_cell(t, r, hl), hl_unless);

		fputs(bad ? "<tr class=\"badrow\">" : "<tr>", f);
		for (int i = 0; i < n; i++)
			html_td_value(f, t->rows[r][idx[i]]);
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

int names_find(const struct names *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->s[i], s))
			return i;
	return -1;
}

int names_add(struct names *l, const char *s)
{
	int i = names_find(l, s);

	if (i >= 0)
		return i;
	if (l->n == l->cap) {
		char **a = realloc(l->s, (l->cap = l->cap ? 2 * l->cap : 16) * sizeof(*a));

		if (!a)
			return -ENOMEM;
		l->s = a;
	}
	l->s[l->n] = strdup(s);
	return l->s[l->n] ? l->n++ : -ENOMEM;
}

void names_free(struct names *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	*l = (struct names){0};
}

/* A row's key: the fields of columns keys[0..nkeys), joined by a separator no CSV of ours holds. */
static void row_key(const struct table *t, int r, const int *keys, int nkeys, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int k = 0; k < nkeys && at < len; k++)
		at += snprintf(buf + at, len - at, "%s\x1f", table_cell(t, r, keys[k]));
}

/*
 * The rows of t whose `scope` column is `scope`, pivoted: one table row per distinct value of
 * the key columns, one table column per metric (in the order first met), each cell made by
 * `cell` from the row that holds it; by_metric swaps the two (a row per metric).
 */
int html_pivot(FILE *f, const struct table *t, const char *scope, const char *const *keys,
	       bool by_metric, void (*cell)(FILE *f, const struct table *t, int row))
{
	int sc = table_col(t, "scope"), mc = table_col(t, "metric"), kc[8], nk = 0, r = 0;
	struct names rowk = {0}, metrics = {0};
	int *first = NULL, **at = NULL;
	char key[1024];

	for (; keys[nk] && nk < 8; nk++)
		kc[nk] = table_col(t, keys[nk]);
	for (int i = 0; i < t->nrows && r >= 0; i++) {
		if (strcmp(table_cell(t, i, sc), scope))
			continue;
		row_key(t, i, kc, nk, key, sizeof(key));
		r = names_add(&rowk, key);
		if (r >= 0)
			r = names_add(&metrics, table_cell(t, i, mc));
	}
	if (r < 0 || !rowk.n)
		goto out;
	first = calloc(rowk.n, sizeof(*first));
	at = calloc(rowk.n, sizeof(*at));
	for (int k = 0; first && at && k < rowk.n; k++) {
		at[k] = malloc(metrics.n * sizeof(**at));
		if (!at[k]) {
			r = -ENOMEM;
			goto out;
		}
		for (int m = 0; m < metrics.n; m++)
			at[k][m] = -1;
	}
	if (!first || !at) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < t->nrows; i++) {
		int k, m;

		if (strcmp(table_cell(t, i, sc), scope))
			continue;
		row_key(t, i, kc, nk, key, sizeof(key));
		k = names_find(&rowk, key);
		m = names_find(&metrics, table_cell(t, i, mc));
		if (at[k][m] < 0)
			at[k][m] = i;
		first[k] = first[k] ? first[k] : i + 1;
	}
	fputs("<div class=\"scroll\"><table>\n<tr>", f);
	if (by_metric) {
		/* Few keys, many metrics: a metric per line reads without scrolling sideways. */
		html_th(f, "metric");
		for (int k = 0; k < rowk.n; k++) {
			fputs("<th>", f);
			if (!nk)
				html_text(f, scope);
			for (int c = 0; c < nk; c++) {
				fputs(c ? " " : "", f);
				html_text(f, table_cell(t, first[k] - 1, kc[c]));
			}
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (int m = 0; m < metrics.n; m++) {
			fputs("<tr>", f);
			html_th(f, metrics.s[m]);
			for (int k = 0; k < rowk.n; k++)
				if (at[k][m] < 0)
					fputs("<td></td>", f);
				else
					cell(f, t, at[k][m]);
			fputs("</tr>\n", f);
		}
		goto end;
	}
	for (int k = 0; k < nk; k++)
		if (kc[k] >= 0)
			html_th(f, keys[k]);
	for (int m = 0; m < metrics.n; m++)
		html_th(f, metrics.s[m]);
	fputs("</tr>\n", f);
	for (int k = 0; k < rowk.n; k++) {
		fputs("<tr>", f);
		for (int c = 0; c < nk; c++)
			if (kc[c] >= 0)
				html_td_value(f, table_cell(t, first[k] - 1, kc[c]));
		for (int m = 0; m < metrics.n; m++) {
			if (at[k][m] < 0)
				fputs("<td></td>", f);
			else
				cell(f, t, at[k][m]);
		}
		fputs("</tr>\n", f);
	}
end:
	fputs("</table></div>\n", f);
out:
	for (int k = 0; at && k < rowk.n; k++)
		free(at[k]);
	free(at);
	free(first);
	names_free(&rowk);
	names_free(&metrics);
	return r < 0 ? r : 0;
}
