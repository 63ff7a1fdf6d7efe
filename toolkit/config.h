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

#include "ccx_events.h"

/* The sockops knobs of a flow, indexed by enum ccx_knob (see knobs.h for names, units and
 * ranges). sides[k] == 0: not set, the kernel default applies. ecn = false is stored as
 * unset, since asking for no ECN is the default. */
struct sockops_spec {
	double value[CCX_KNOB_MAX];	   /* in the config's unit */
	unsigned char sides[CCX_KNOB_MAX]; /* CCX_SIDES_* */
};

struct flow_spec {
	char name[CFG_NAME_MAX]; /* [A-Za-z0-9_-], unique */
	char cc[CFG_CC_MAX];
	char cmd[512];	      /* "" for the built-in bulk sender; else run in the sender host */
	char server_cmd[512]; /* with cmd: run in the receiver host, "" for none */
	int count;	      /* parallel connections, 1..CFG_MAX_CONNS */
	double start_s;	      /* >= 0, < duration */
	double stop_s;	      /* > start_s, <= duration; duration when not given */
	struct sockops_spec sockops;
	int line; /* line of the flow's group in the config file */
};

struct link_spec {
	double rate_mbit; /* 0.01 .. 100000 */
	int queue_pkts;	  /* 1 .. 1000000 */
};

struct collect_spec {
	int sample_interval_ms; /* 1 .. 10000 */
	bool rtt_samples;	/* write every RTT_CB sample to events/rtt.csv */
	int ringbuf_kb;		/* 0: sized from the config; else 64 .. 1048576 */
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

/*
 * Fills the placeholders of a flow's cmd or server_cmd ({dst} {src} {port} {cc} {flow}
 * {duration_s}, and {{ for a literal {) into `out`. Returns 0, -ENAMETOOLONG when the result
 * does not fit in `len` (out is then ""), or -EINVAL for a template config_load() refuses.
 */
int config_expand_cmd(const char *tmpl, const struct flow_spec *f, const char *src, const char *dst,
		      int port, char *out, size_t len);

/* Total connections over all flows. */
int experiment_conns(const struct experiment *exp);

#endif
