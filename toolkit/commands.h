/* The ccexp subcommands; each parses its own arguments and returns the exit code. */
#ifndef CCX_COMMANDS_H
#define CCX_COMMANDS_H

/* Exit codes shared by every subcommand. */
#define CCX_EXIT_OK	 0
#define CCX_EXIT_FAILURE 1 /* the experiment or probe failed */
#define CCX_EXIT_USAGE	 2 /* bad command line or bad config */
#define CCX_EXIT_CHARTS	 3 /* run or plot: the results are whole, some charts were not drawn */

#include <stdbool.h>
#include <stdio.h>

/* The options of a command whose only ones are --json and --help: returns -1 to go on
 * (json set), or the exit code to return (--help printed, or a usage error). */
int parse_json_option(const char *cmd, int argc, char **argv, void (*usage)(FILE *out), bool *json);

int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
