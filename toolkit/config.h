/* The experiment config: libconfig file -> validated struct experiment. */
#ifndef CCX_CONFIG_H
#define CCX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_MAX_FLOWS 64
#define CFG_NAME_MAX  32
#define CFG_CC_MAX    16
#define CFG_MAX_CONNS 256 /* connections over all flows */
#define CFG_UNSET     (-1)

struct sockops_spec {
	int syn_rto_ms;	    /* CFG_UNSET or 1..120000 */
	int init_rwnd_pkts; /* CFG_UNSET or 1..65535 */
	int init_cwnd_pkts; /* CFG_UNSET or 1..65535 */
	int ecn;	    /* CFG_UNSET, 0 or 1 */
};

struct flow_spec {
	char name[CFG_NAME_MAX]; /* [A-Za-z0-9_-], unique */
	char cc[CFG_CC_MAX];
	int count;	/* parallel connections, 1..CFG_MAX_CONNS */
	double start_s; /* >= 0, < duration */
	double stop_s;	/* > start_s, <= duration; duration when not given */
	struct sockops_spec sockops;
	int line; /* line of the flow's group in the config file */
};

struct link_spec {
	double rate_mbit; /* 0.01 .. 100000 */
	int queue_pkts;	  /* 1 .. 1000000 */
};

struct collect_spec {
	int sample_interval_ms; /* 1 .. 10000 */
};

struct experiment {
	char name[64];	   /* [A-Za-z0-9_.-], used as a directory name */
	double duration_s; /* > 0, <= 86400 */
	unsigned long seed;
	struct link_spec link;
	int nflows;
	struct flow_spec flows[CFG_MAX_FLOWS];
	struct collect_spec collect;
};

/*
 * Reads and validates a config. `known_cc` is a space-separated list of the congestion
 * controls a flow may name (e.g. the kernel's tcp_available_congestion_control).
 * Returns 0, or -EINVAL with `err` set to "file:line: setting: what is wrong"
 * (-ENOENT and friends when the file cannot be read, with err set too).
 */
int config_load(const char *path, const char *known_cc, struct experiment *exp, char *err,
		size_t errlen);

/* Total connections over all flows. */
int experiment_conns(const struct experiment *exp);

#endif
