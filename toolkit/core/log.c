/* Logging to stderr with a verbosity level. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int log_verbosity = 1;

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_verbosity)
		return;
	fputs("ccexp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int log_err_errno(int r, const char *fmt, ...)
{
	va_list ap;

	fputs("ccexp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(r < 0 ? -r : r));
	return r;
}
