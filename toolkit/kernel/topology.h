/* The emulated network of a run: the sender and receiver namespaces (and a router between
 * them for qdisc-based links), their wiring, and the run's cgroup. */
#ifndef CCX_TOPOLOGY_H
#define CCX_TOPOLOGY_H

#include "core/config.h"

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>

#define CCX_PREFIX     "ccx"
#define CCX_RUN_ID_LEN 6 /* hex digits: "ccx" + id + "-rs" fits IFNAMSIZ */
#define CCX_STATE_DIR  "/run/ccexp"

/* Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking), inside the run's netns only. */
#define CCX_ADDR_SENDER	  "198.18.0.1"
#define CCX_ADDR_RTR_S	  "198.18.0.2"
#define CCX_ADDR_RTR_R	  "198.19.0.1"
#define CCX_ADDR_RECEIVER "198.19.0.2"

/* How the two hosts are joined; the link backend decides (toolkit/link/link.h). */
enum topo_kind {
	TOPO_ROUTED, /* sender - router - receiver over veth; qdiscs on the router (tc, netem) */
	TOPO_TUN,    /* no wire: the tun link emulator carries the packets between the hosts */
	TOPO_DIRECT, /* one veth between the hosts, no emulation (backend none) */
};

struct topology {
	enum topo_kind kind;
	char prefix[16]; /* "ccx" + run id: every kernel object of the run starts with it */
	char ns_sender[32], ns_router[32], ns_receiver[32];
	char if_sender[IFNAMSIZ], if_rtr_s[IFNAMSIZ], if_rtr_r[IFNAMSIZ], if_receiver[IFNAMSIZ];
	char if_tun[IFNAMSIZ];	   /* the tun link's device, the same name in both hosts */
	char cgroup[PATH_MAX];	   /* the run's cgroup v2 directory */
	char state_file[PATH_MAX]; /* CCX_STATE_DIR/<prefix>: pid + results folder, for cleanup */
	bool have_state, have_cgroup, have_ns[3];
};

/* A fresh random run id of CCX_RUN_ID_LEN hex digits. */
void topology_new_id(char *id, size_t len);
/* Names the run's objects and creates its state file, CCX_STATE_DIR/ccx<id>: "<pid>\n" and
 * `outdir`, the run's results folder as an absolute path (NULL: none), so that `ccexp
 * cleanup` can find both after a SIGKILL. Claimed before the run's first meta.json is
 * written, so no folder says "running" without a state file to mark it killed. Returns 0 or
 * -errno (-EEXIST: the id is taken). */
int topology_claim(struct topology *t, const char *id, const char *outdir);
/* Builds the namespaces, the cgroup and, for TOPO_ROUTED and TOPO_DIRECT, the veth wires
 * with addresses and routes for a claimed topology; on failure releases what it made and
 * returns -errno. */
int topology_create(struct topology *t, enum topo_kind kind);
/* Moves the calling process into the run's cgroup and into namespace `ns`. */
int topology_enter(const struct topology *t, const char *ns);
/* Kills what is left in the cgroup and removes every object; safe to call twice. */
void topology_destroy(struct topology *t);

#endif
