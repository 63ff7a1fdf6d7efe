/* What limited a connection or a flow, from the kernel's own accounting (docs/diagnosis.md). */
#ifndef CCX_DIAGNOSIS_H
#define CCX_DIAGNOSIS_H

#include <stddef.h>
#include <stdint.h>

/* Idle for more than this share of its life (nothing unacknowledged, nothing queued):
 * application limited, whatever limited the busy part. */
#define DIAG_APP_IDLE_PCT 50.0

enum diag_limit {
	DIAG_NONE = 0, /* no data sent, or nothing known */
	DIAG_APP,      /* the application gave it too little to send */
	DIAG_RWND,     /* the receiver's advertised window */
	DIAG_SNDBUF,   /* the sender's socket buffer */
	DIAG_CWND,     /* the congestion window: the network */
};

/* A connection's (or a flow's summed) accounting, in ms; NaN where unknown. */
struct diag_ms {
	double life_ms;			     /* sender established to close (or its last sample) */
	double busy_ms;			     /* tcpi_busy_time: unacknowledged data outstanding */
	double rwnd_ms;			     /* of busy: limited by the receive window */
	double sndbuf_ms;		     /* of busy: limited by the send buffer */
	double retrans;			     /* retransmitted segments */
	uint64_t rcvbuf_bytes, sndbuf_bytes; /* the flow's knobs; 0 when not set */
};

/* busy - rwnd - sndbuf, never below 0. */
double diag_cwnd_ms(const struct diag_ms *d);
/* life - busy, never below 0 (the chrono counts whole jiffies). */
double diag_idle_ms(const struct diag_ms *d);
/* The limit and its share in percent: of the life for DIAG_APP, of busy time otherwise. */
enum diag_limit diag_classify(const struct diag_ms *d, double *pct);
/* "app", "rwnd", "sndbuf", "cwnd" or "" */
const char *diag_limit_name(enum diag_limit l);
/* The verdict as a sentence without commas (flows.csv and the run's summary lines). */
void diag_verdict(const struct diag_ms *d, char *buf, size_t len);

#endif
