/* The experiment config: libconfig file -> validated struct experiment. */
#ifndef CCX_CONFIG_H
#define CCX_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Who emulates the bottleneck. auto is resolved at run time, by what the kernel offers. */
enum link_backend {
	LINK_BACKEND_AUTO = 0,
	LINK_BACKEND_NETEM,
	LINK_BACKEND_TUN,
	LINK_BACKEND_TC,
	LINK_BACKEND_NONE, /* a plain veth: no rate, delay, loss or queue of ours */
	LINK_BACKEND_MAX,
};

/* netem keeps its jitter in an s32 of ns (sch_netem.c caps it at INT_MAX). */
#define LINK_NETEM_JITTER_MAX_MS 2147.483647

enum link_loss_model {
	LINK_LOSS_BERNOULLI = 0,
	LINK_LOSS_GILBERT_ELLIOTT,
	LINK_LOSS_MAX,
};

/* Which of queue_pkts, queue_bytes and queue_bdp the config gave (queue_pkts when none). */
enum link_queue_limit {
	LINK_QUEUE_PKTS = 0,
	LINK_QUEUE_BYTES,
	LINK_QUEUE_BDP,
};

enum link_queue {
	LINK_QUEUE_DROPTAIL = 0,
	LINK_QUEUE_CODEL,
	LINK_QUEUE_MAX,
};

/*
 * The emulated bottleneck. "up" is sender -> receiver (the data), "down" the reverse (the
 * ACKs); a setting without _down is the uplink's. Every field holds its default when the
 * config does not give it, so a consumer never has to know what was written.
 */
struct link_spec {
	enum link_backend backend;
	double rate_mbit;	   /* 0.01 .. 100000; 0 with trace_up or backend none */
	double rate_down_mbit;	   /* 0: not limited; else 0.01 .. 100000 */
	char trace_up[PATH_MAX];   /* absolute path of a mahimahi trace, "" for none */
	char trace_down[PATH_MAX]; /* as trace_up; its content is checked by emu_trace_load() */
	double delay_ms;	   /* one-way, 0 .. 10000 */
	double delay_down_ms;	   /* 0 .. 10000; delay_ms when not given */
	double jitter_ms;	   /* 0 .. 10000 */
	bool jitter_reorder;	   /* jitter may reorder packets */
	enum link_loss_model loss_model;   /* of the uplink; the downlink is always Bernoulli */
	double loss;			   /* Bernoulli, per packet: 0 .. < 1 */
	double loss_down;		   /* Bernoulli, per packet: 0 .. < 1 */
	double ge_p, ge_r;		   /* Gilbert-Elliott: P(good->bad), P(bad->good), (0, 1] */
	double ge_loss_good, ge_loss_bad;  /* loss in each state, 0 .. 1; defaults 0 and 1 */
	enum link_queue_limit queue_limit; /* which limit was given; see link_queue_limits() */
	/* The packet limit when queue_pkts was given (default 100). With queue_bytes or
	 * queue_bdp it holds their byte limit in 1500-byte packets, rounded up, for code that
	 * only counts packets: link_queue_limits() gives the limit that was asked for. */
	int queue_pkts;
	uint64_t queue_bytes; /* with LINK_QUEUE_BYTES: 1 .. 10000000000 */
	double queue_bdp;     /* with LINK_QUEUE_BDP: 0.01 .. 100 bandwidth-delay products */
	enum link_queue queue;
	double codel_target_ms;	  /* 5 when not given */
	double codel_interval_ms; /* 100 when not given; > codel_target_ms */
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

/* The config's name of each value ("auto", "gilbert-elliott", "codel"); "?" out of range. */
/* What of l netem + tbf cannot do, as "has no ..." (the reason config validation gives when
 * backend = "netem" asks for it); NULL when it can do all of it. */
const char *link_netem_lacks(const struct link_spec *l);
const char *link_backend_name(enum link_backend b);
const char *link_loss_model_name(enum link_loss_model m);
const char *link_queue_name(enum link_queue q);

/*
 * The queue limit to apply: a packet limit in *pkts or a byte limit in *bytes, the other 0.
 * queue_bdp becomes rate_mbit x (delay_ms + delay_down_ms) x queue_bdp in bytes, at least
 * 1500. Returns 0, or -EINVAL for a link_spec config_load() would refuse (queue_bdp without
 * a rate, a limit out of range).
 */
int link_queue_limits(const struct link_spec *l, uint32_t *pkts, uint64_t *bytes);

/* Total connections over all flows. */
int experiment_conns(const struct experiment *exp);

#endif
