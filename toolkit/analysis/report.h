/* report.html: one static page per run folder or compare folder, from its saved files only. */
#ifndef CCX_REPORT_H
#define CCX_REPORT_H

/*
 * Writes dir/report.html (replaced in one go): for a run folder (it has meta.json) its status,
 * environment, verdicts, summary tables, charts, links to its files and its config; for a
 * compare folder (it has groups.csv) its runs, groups, charts and files. The page needs no
 * server and no network: inline CSS, no script, images and links by relative path.
 * Returns 0, -ENOENT when dir is neither kind of folder, or -errno (logged).
 */
int report_write(const char *dir);

#endif
