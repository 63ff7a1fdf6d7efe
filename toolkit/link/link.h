/* The bottleneck between the hosts: picks a backend for the config's link section, builds
 * it on the run's topology, and reports what it did. */
#ifndef CCX_LINK_LINK_H
#define CCX_LINK_LINK_H

#include "core/config.h"
#include "core/json.h"
#include "link/link_spec.h"
#include "link/qdisc.h"
#include "kernel/topology.h"
#include "link/tun.h"

struct link_runtime {
	enum link_backend backend; /* what runs: never LINK_BACKEND_AUTO */
	const char *why;	   /* why this backend */
	char why_buf[320];	   /* what `why` points to when it is not a constant */
	uint32_t queue_pkts;	   /* the limits applied (0: none on that dimension) */
	uint64_t queue_bytes;
	struct tun_link tun;
	bool tun_started;
	struct qdisc_link qd; /* tc and netem */
	bool qd_started;
	uint32_t *trace[2];
	size_t trace_len[2];
	uint32_t trace_period_ms[2];
	char
	    error[CHILD_WHY_MAX + 128]; /* why the link's timeline is incomplete, "" if it is not */
};

/* Resolves "auto" (netem where the kernel has it and netem + tbf can do what l asks, else
 * tun) and checks the chosen backend can run here: netem is tried in a scratch network
 * namespace. Returns 0, or -errno with a message in err. */
int link_choose(struct link_runtime *lr, const struct link_spec *l, char *err, size_t errlen);
enum topo_kind link_topology_kind(const struct link_runtime *lr);
/* Builds the link on a topology made with link_topology_kind(). Returns 0 or -errno. */
int link_setup(struct link_runtime *lr, const struct experiment *exp, const struct topology *t,
	       const char *outdir);
void link_set_t0(struct link_runtime *lr, uint64_t t0_ns);
/* False when the link's emulator died: the hosts are cut off. */
bool link_alive(struct link_runtime *lr);
/* Stops what runs (the emulator, the qdiscs' sampler); the link's stats stay readable.
 * Returns 0, or -EIO when link.csv (or link_drops.csv) is incomplete: the emulator or
 * sampler could not write it or had to be killed (lr->error says which). */
int link_stop(struct link_runtime *lr);
/* The "link" object of meta.json: backend, effective parameters and totals. */
void link_write_meta(struct json *j, const struct link_runtime *lr, const struct link_spec *l);
void link_free(struct link_runtime *lr);

#endif
