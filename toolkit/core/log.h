/* Logging to stderr: errors always, info unless quiet, debug with -v. */
#ifndef CCX_LOG_H
#define CCX_LOG_H

#include <errno.h>

extern int log_verbosity; /* 0 quiet, 1 normal, 2 verbose */

void log_printf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_printf(0, __VA_ARGS__)
#define log_info(...)  log_printf(1, __VA_ARGS__)
#define log_debug(...) log_printf(2, __VA_ARGS__)

/* Logs "what: strerror(-r)" and returns r (a negative errno), so error paths can
 * `return log_err_errno(r, "attach sockops to %s", path);`. */
int log_err_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
