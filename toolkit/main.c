/* ccexp entry point: global options, then one subcommand from the table. */
#include "commands.h"
#include "core/log.h"
#include "ccx_gitrev.h"
#include "ccx_version.h"

#include <bpf/libbpf.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libbpf's own log (verifier output, probe failures) only with -v: a failed probe in
 * `ccexp check` is an answer, and ccexp says itself what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int parse_json_option(const char *cmd, int argc, char **argv, void (*usage)(FILE *out), bool *json)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	*json = false;
	optind = 1;
	opterr = 0; /* our own message names the command */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return CCX_EXIT_OK;
		default:
			fprintf(stderr, "ccexp %s: unknown option '%s'\n", cmd, argv[optind - 1]);
			usage(stderr);
			return CCX_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ccexp %s: unexpected argument '%s'\n", cmd, argv[optind]);
		usage(stderr);
		return CCX_EXIT_USAGE;
	}
	return -1;
}

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
    {"check", cmd_check, "probe this kernel for what ccexp needs, and say what is missing"},
    {"list", cmd_list, "list the congestion controls, link backends and knobs a config can use"},
    {"run", cmd_run, "run an experiment config; results land in results/<name>/<run-id>/"},
    {"sweep", cmd_sweep,
     "run a set of runs (repeats, a sweep of settings); resumes where it stopped"},
    {"plot", cmd_plot, "(re)draw the charts of a results folder from its CSV files"},
    {"compare", cmd_compare,
     "compare runs and sweeps: groups by the settings that differ, repeats with 95% CIs"},
    {"watch", cmd_watch, "follow the TCP connections of a cgroup live, without changing them"},
    {"cleanup", cmd_cleanup, "remove what killed runs left behind (netns, links, cgroups)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ccexp [-v|-q] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n`ccexp COMMAND --help` describes each command.\n"
		     "\nEXAMPLES\n"
		     "  ccexp check\n"
		     "  ccexp list\n"
		     "  ccexp run configs/examples/quickstart.cfg\n"
		     "  ccexp sweep --dry-run configs/examples/sweep.cfg\n"
		     "  ccexp plot results/quickstart/<run-id>\n"
		     "  ccexp compare results/sweep-example/sweep-sweep\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			log_verbosity = 2;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			log_verbosity = 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return CCX_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("ccexp %s (git %s)\nlibbpf %u.%u (built against %s)\n", CCX_VERSION,
			       CCX_GIT_REVISION, libbpf_major_version(), libbpf_minor_version(),
			       CCX_LIBBPF_VERSION);
			return CCX_EXIT_OK;
		} else {
			fprintf(stderr, "ccexp: unknown option %s\n", argv[i]);
			usage(stderr);
			return CCX_EXIT_USAGE;
		}
	}
	libbpf_set_print(libbpf_print);
	if (i >= argc) {
		usage(stderr);
		return CCX_EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(subcommands) / sizeof(subcommands[0]); k++)
		if (!strcmp(argv[i], subcommands[k].name))
			return subcommands[k].fn(argc - i, argv + i);
	fprintf(stderr, "ccexp: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return CCX_EXIT_USAGE;
}
