/* `ccexp watch --metrics`: the watch state as Prometheus text, served by libmicrohttpd from
 * watch's own loop (no thread of its own, so the state needs no lock). */
#ifndef CCX_WATCH_METRICS_H
#define CCX_WATCH_METRICS_H

#include "watch_state.h"
#include "kernel/collect.h"

#include <stdio.h>
#include <sys/socket.h>

#define WATCH_METRICS_DEFAULT_ADDR "127.0.0.1"

/* What a scrape reads; col NULL leaves out ccexp's own cost. */
struct watch_metrics_src {
	const char *cgroup;
	struct watch_state *st;
	const struct collector *col;
	int hz;
};

struct watch_metrics;

/* "[ADDR:]PORT" (ADDR IPv4, or IPv6 in brackets; 127.0.0.1 when left out) to a socket address.
 * Returns 0 or -EINVAL. */
int watch_metrics_parse(const char *spec, struct sockaddr_storage *addr);
/* Listens on addr; the server answers only from watch_metrics_run. Returns 0 or -errno. */
int watch_metrics_start(struct watch_metrics **m, const struct sockaddr_storage *addr,
			const struct watch_metrics_src *src);
/* A descriptor that becomes readable when the server has work: for watch's poll. */
int watch_metrics_fd(const struct watch_metrics *m);
/* Accepts and answers what is pending, without waiting. */
void watch_metrics_run(struct watch_metrics *m);
void watch_metrics_stop(struct watch_metrics *m);
/* Writes the exposition (text format 0.0.4) to f. Returns 0 or -EIO. */
int watch_metrics_text(FILE *f, const struct watch_metrics_src *src);

#endif
