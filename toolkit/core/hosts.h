/* The `hosts` config group: the sysctls a run sets inside its own hosts' network namespaces. */
#ifndef CCX_HOSTS_H
#define CCX_HOSTS_H

#include <stdbool.h>

/* docs/config.md's table, in its order. */
enum host_sysctl {
	HS_TCP_RMEM,
	HS_TCP_WMEM,
	HS_TCP_ADV_WIN_SCALE,
	HS_TCP_MODERATE_RCVBUF,
	HS_TCP_NO_METRICS_SAVE,
	HS_TCP_SLOW_START_AFTER_IDLE,
	HS_TCP_NOTSENT_LOWAT,
	HS_TCP_LIMIT_OUTPUT_BYTES,
	HS_TCP_AUTOCORKING,
	HS_TCP_PACING_SS_RATIO,
	HS_TCP_PACING_CA_RATIO,
	HS_TCP_MIN_TSO_SEGS,
	HS_TCP_TSO_WIN_DIVISOR,
	HS_TCP_ECN,
	HS_TCP_SACK,
	HS_TCP_TIMESTAMPS,
	HS_TCP_WINDOW_SCALING,
	HS_TCP_MTU_PROBING,
	HS_TCP_MIN_RTT_WLEN,
	HS_MAX
};

struct host_sysctl_info {
	const char *name; /* the config name, the last part of the path */
	const char *path; /* under /proc/sys */
	bool triple;	  /* "min default max" in bytes, else one integer */
	long long min, max;
};

extern const struct host_sysctl_info host_sysctl_table[HS_MAX];

#define HOST_VALUE_MAX 64

struct hosts_spec {
	char value[HS_MAX][HOST_VALUE_MAX]; /* as written to /proc/sys; "" when not set */
	unsigned char sides[HS_MAX];	    /* CCX_SIDES_*; 0 when not set */
};

/* "sender", "receiver" or "both". */
const char *host_sides_name(unsigned int sides);

#endif
