/* Draws the compare charts of a folder with compare.csv, groups.csv, runs.csv: for tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis/compare_plot.h"

int main(int argc, char **argv)
{
	const char *fmts[8] = {NULL};
	struct plot_report rep;
	int nf = 0, r;

	if (argc < 2) {
		fprintf(stderr, "usage: compare_plot DIR [FORMAT...]\n");
		return 2;
	}
	for (int i = 2; i < argc && nf < 7; i++)
		fmts[nf++] = argv[i];
	r = compare_plot(argv[1], fmts, &rep);
	for (int i = 0; i < rep.n; i++)
		printf("%s %s%s%s\n", rep.chart[i].name, rep.chart[i].drawn ? "drawn" : "failed",
		       rep.chart[i].drawn ? "" : ": ", rep.chart[i].reason);
	if (r == -EINVAL)
		return 2;
	return r ? 3 : 0;
}
