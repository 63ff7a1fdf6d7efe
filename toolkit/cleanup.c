/* placeholder */
#include "commands.h"
int cmd_cleanup(int argc, char **argv) { (void)argc; (void)argv; return 1; }
