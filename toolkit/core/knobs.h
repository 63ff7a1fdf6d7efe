/* The sockops knobs: config name, unit, range, default side, and where the kernel applies
 * each. One table serves config validation, the BPF loader, the CSV writer and the docs. */
#ifndef CCX_KNOBS_H
#define CCX_KNOBS_H

#include <stdint.h>

#include "ccx_events.h"

#include <stdbool.h>

struct knob_info {
	enum ccx_knob id;
	const char *name;	    /* the config setting, e.g. "syn_rto_ms"; NULL for cc */
	double min, max;	    /* accepted range in the config's unit */
	bool is_bool;		    /* true/false in the config (ecn) */
	bool is_float;		    /* a number with decimals is accepted (max_pacing_mbit) */
	unsigned int default_sides; /* CCX_SIDES_* when the config gives no side */
	const char *callback;	    /* the sockops callback that applies it */
	const char *kernel_op;	    /* what ccexp does there: a reply or a bpf_setsockopt */
	const char *kernel_unit;    /* the unit the kernel takes */
	const char *constraint;	    /* what the kernel requires, in words */
};

/* Indexed by enum ccx_knob. */
extern const struct knob_info knob_table[CCX_KNOB_MAX];

/* The knob whose config setting is `name`, or NULL. */
const struct knob_info *knob_by_name(const char *name);

/* The value the kernel takes for a config value (e.g. ms -> jiffies with `hz`, Mbit/s ->
 * bytes/s). */
unsigned long long knob_kernel_value(enum ccx_knob id, double config_value, int hz);

/* The kernel's chrono units (tcp_sock chrono_stat, in jiffies) to seconds, as
 * tcp_get_info_chrono_stats converts them: whole microseconds per jiffy. NaN without HZ. */
double chrono_jiffies_s(uint64_t j, int hz);

#endif
