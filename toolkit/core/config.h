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
#define CFG_MAX_CONNS 1024 /* connections over all flows */
#define CFG_UNSET     (-1)
#define CFG_MAX_FILES 8 /* the config and the files it @includes */

/* Where a setting was written: the experiment's files[file], at line (0: not written). */
struct cfg_pos {
	int file;
	int line;
};

#include "ccx_events.h"
#include "core/hosts.h"

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
	/* One-way delay on the flow's own access path, added to the link's: 0 .. 10000 ms.
	 * It sets the flow's base RTT apart from the others' (rtt-fairness experiments). */
	double extra_delay_ms;	       /* sender -> receiver */
	double extra_delay_down_ms;    /* receiver -> sender; extra_delay_ms when not given */
	struct cfg_pos extra_delay_at; /* the first of the two written with a value > 0 */
	int line;		       /* line of the flow's group in the config file */
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

/* The bounds config_load() holds the link's settings to (docs/config.md). */
#define LINK_RATE_MBIT_MIN	0.01
#define LINK_RATE_MBIT_MAX	100000.0
#define LINK_QUEUE_PKTS_DEFAULT 100
#define LINK_QUEUE_PKTS_MAX	1000000
#define LINK_QUEUE_BYTES_MAX	10000000000LL
#define LINK_QUEUE_BDP_MIN	0.01
#define LINK_QUEUE_BDP_MAX	100.0
#define FLOW_EXTRA_DELAY_MS_MAX 10000.0 /* as link.delay_ms */

/* The settings of the link group, in docs/config.md's order. */
enum link_setting {
	LINK_SET_BACKEND = 0,
	LINK_SET_RATE,
	LINK_SET_TRACE_UP,
	LINK_SET_RATE_DOWN,
	LINK_SET_TRACE_DOWN,
	LINK_SET_DELAY,
	LINK_SET_DELAY_DOWN,
	LINK_SET_JITTER,
	LINK_SET_JITTER_REORDER,
	LINK_SET_LOSS_MODEL,
	LINK_SET_LOSS,
	LINK_SET_LOSS_DOWN,
	LINK_SET_GE_P,
	LINK_SET_GE_R,
	LINK_SET_GE_LOSS_GOOD,
	LINK_SET_GE_LOSS_BAD,
	LINK_SET_QUEUE_PKTS,
	LINK_SET_QUEUE_BYTES,
	LINK_SET_QUEUE_BDP,
	LINK_SET_QUEUE,
	LINK_SET_CODEL_TARGET,
	LINK_SET_CODEL_INTERVAL,
	LINK_SET_CAPTURE,
	LINK_SET_MAX,
};

/* What of the bottleneck's packets the tun emulator writes to pcap files. */
enum link_capture {
	LINK_CAPTURE_NONE = 0,
	LINK_CAPTURE_HEADERS, /* the first LINK_CAPTURE_HEADERS_BYTES of each packet */
	LINK_CAPTURE_FULL,
	LINK_CAPTURE_MAX,
};

/* IPv4 or IPv6 with TCP and its options (at most 60 + 60 bytes, 40 + 60 for IPv6) */
#define LINK_CAPTURE_HEADERS_BYTES 128

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
	double rate_mbit;		   /* 0.01 .. 100000; 0 with trace_up or backend none */
	double rate_down_mbit;		   /* 0: not limited; else 0.01 .. 100000 */
	char trace_up[PATH_MAX];	   /* absolute path of a mahimahi trace, "" for none */
	char trace_down[PATH_MAX];	   /* as trace_up; link_spec_check() reads its content */
	double delay_ms;		   /* one-way, 0 .. 10000 */
	double delay_down_ms;		   /* 0 .. 10000; delay_ms when not given */
	double jitter_ms;		   /* 0 .. 10000 */
	bool jitter_reorder;		   /* jitter may reorder packets */
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
	double codel_target_ms;		 /* 5 when not given */
	double codel_interval_ms;	 /* 100 when not given; > codel_target_ms */
	enum link_capture capture;	 /* tun only */
	struct cfg_pos at[LINK_SET_MAX]; /* where each setting was written, for later checks */
	bool flow_delay; /* a flow has an extra delay: only a per-flow classifier (tun) does it */
};

/* How much the kernel side collects; DEFAULT is 0 so a zeroed spec is today's behaviour. */
enum collect_level {
	COLLECT_DEFAULT = 0,
	COLLECT_NONE, /* connections, states and knobs only: no samples, no RTO/retrans events */
	COLLECT_ALL,  /* RTT samples and 1 ms sampling unless the config says otherwise */
};

struct collect_spec {
	enum collect_level level;
	int sample_interval_ms; /* 1 .. 10000 */
	bool rtt_samples;	/* write every RTT_CB sample to events/rtt.csv */
	int ringbuf_kb;		/* 0: sized from the config; else 64 .. 1048576 */
};

/* "none", "default" or "all". */
const char *collect_level_name(enum collect_level level);

struct experiment {
	char name[64];	   /* [A-Za-z0-9_.-], used as a directory name */
	double duration_s; /* > 0, <= 86400 */
	unsigned long seed;
	struct link_spec link;
	int nflows;
	struct flow_spec flows[CFG_MAX_FLOWS];
	struct collect_spec collect;
	struct hosts_spec hosts;
	/* The config (files[0], as given) and the files it @includes, for messages. */
	char files[CFG_MAX_FILES][PATH_MAX];
	int nfiles;
	uint64_t text_hash; /* of the text read, @includes resolved: see config_save() */
	/* A set of runs (core/sweep.h): `ccexp run` runs one, so it refuses these. */
	int repeat;	       /* experiment.repeat: 1 when absent */
	bool has_sweep;	       /* a `sweep` list is there */
	struct cfg_pos set_at; /* where `sweep` (else experiment.repeat) is written */
};

/*
 * Reads and validates a config: every setting on its own and against the others. What
 * depends on the link backend (and a trace's content) is link_spec_check()'s part, in
 * link/, which a command calls next, still before it touches the kernel. An @include'd
 * file is taken from the folder of the file that includes it. `known_cc` is a
 * space-separated list of the congestion controls a flow may name (e.g. the kernel's
 * tcp_available_congestion_control).
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

/*
 * Writes the config at `path` as config_load() read it into exp, every @include replaced by
 * the file's text, to out_path: a copy that runs the same anywhere. Returns 0, -ESTALE
 * when a file changed since config_load() (logged), or -errno.
 */
int config_save(const struct experiment *exp, const char *path, const char *out_path);

/* Sets err to "file:line: setting: <fmt>" for a setting written at `at`; returns -EINVAL. */
__attribute__((format(printf, 6, 7))) int config_err_at(const struct experiment *exp,
							struct cfg_pos at, const char *setting,
							char *err, size_t errlen, const char *fmt,
							...);

/* The config's name of each value ("auto", "gilbert-elliott", "codel"); "?" out of range. */
const char *link_backend_name(enum link_backend b);
const char *link_loss_model_name(enum link_loss_model m);
const char *link_queue_name(enum link_queue q);
const char *link_capture_name(enum link_capture c);
const char *link_setting_name(enum link_setting s);

/* What queue_bdp means: rate_mbit x (delay_ms + delay_down_ms) x queue_bdp, in bytes (at
 * least 1500, whole bytes). */
double link_bdp_bytes(const struct link_spec *l);

/* Total connections over all flows. */
int experiment_conns(const struct experiment *exp);

#endif
