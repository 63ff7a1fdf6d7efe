/* report.html: one static page per run folder or compare folder, from its saved files only. */
#ifndef CCX_REPORT_H
#define CCX_REPORT_H

#include <stdio.h>

/*
 * Writes dir/report.html (replaced in one go): for a run folder (it has meta.json) its status,
 * environment, verdicts, summary tables, charts, links to its files and its config; for a
 * compare folder (it has groups.csv) its runs, groups, charts and files. The page needs no
 * server and no network: inline CSS, no script, images and links by relative path.
 * Returns 0, -ENOENT when dir is neither kind of folder, or -errno (logged).
 */
int report_write(const char *dir);

/* Writes s as HTML text, safe in element content and in a quoted attribute: & < > " ' as
 * entities, control characters other than tab, LF and CR as U+FFFD. */
void report_html(FILE *f, const char *s);

/* Writes a relative path as a URL for href or src: every byte other than letters, digits,
 * - . _ ~ and / percent-encoded, so names with spaces, #, ? or : still point at the file. */
void report_url(FILE *f, const char *path);

#endif
