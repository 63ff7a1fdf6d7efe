/* rtnetlink through libmnl: qdiscs on a device of a named network namespace, and their
 * statistics, with the kernel's own error message (extack) handed back for the log. */
#ifndef CCX_NETLINK_H
#define CCX_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETLINK_KIND_MAX 16
#define NETLINK_ERR_MAX	 256 /* room for the kernel's message */

/* A tc handle "major:minor", and the parent of a root qdisc. */
#define NETLINK_HANDLE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define NETLINK_ROOT		     0xffffffffu

struct mnl_socket;

/* A NETLINK_ROUTE socket; it stays in the namespace it was opened in. */
struct netlink {
	struct mnl_socket *sock;
	unsigned int portid;
	uint32_t seq;
	char *buf; /* replies, NETLINK_RECV_BYTES */
};

enum netlink_qdisc_kind {
	NETLINK_TBF,
	NETLINK_PFIFO, /* a FIFO counted in packets */
	NETLINK_BFIFO, /* a FIFO counted in bytes */
	NETLINK_NETEM,
};

/* Token bucket; bytes are packet lengths as the qdisc tree counts them (see size_overhead). */
struct netlink_tbf {
	uint64_t rate_bytes_ps;
	uint32_t burst_bytes; /* the bucket; also the largest packet that can pass */
	uint32_t limit_bytes; /* 0: no queue of its own (a child qdisc is added next) */
};

/* netem, in the config's terms; netlink.c turns them into the kernel's. */
struct netlink_netem {
	uint64_t latency_ns;
	uint64_t jitter_ns;
	const int16_t *dist; /* delay distribution table (NETEM_DIST_SCALE = 1 sigma); NULL:
			      * the kernel's uniform jitter in [-jitter, +jitter] */
	uint32_t dist_len;
	/* netem's own rate; 0: none. netem never schedules a packet before the one ahead of it
	 * when a rate is set, so a rate far above the link's keeps jitter from reordering. */
	uint64_t rate_bytes_ps;
	uint32_t limit_pkts; /* packets netem may hold (its delay line) */
	double loss;	     /* Bernoulli, per packet; unused with gilbert_elliott */
	bool gilbert_elliott;
	double ge_p, ge_r;		  /* P(good -> bad), P(bad -> good), per packet */
	double ge_loss_good, ge_loss_bad; /* loss probability in each state */
	bool have_seed;			  /* seed the loss and jitter draws (Linux 6.6 on) */
	uint64_t seed;
};

struct netlink_qdisc {
	enum netlink_qdisc_kind kind;
	uint32_t handle; /* NETLINK_HANDLE(major, 0) */
	uint32_t parent; /* NETLINK_ROOT, or the parent's class NETLINK_HANDLE(major, 1) */
	/* A root qdisc only: a size table that adds this to every packet's length before any
	 * qdisc of the tree counts it, for rates, byte limits and statistics alike (-14: the IP
	 * packet without its Ethernet header). 0: no size table, the frame as sent. */
	int32_t size_overhead;
	union {
		struct netlink_tbf tbf;
		uint32_t fifo_limit; /* packets (pfifo) or bytes (bfifo) */
		struct netlink_netem netem;
	};
};

/* What RTM_GETQDISC reports for one qdisc: counters since it was created. */
struct netlink_qdisc_stats {
	uint32_t handle, parent;
	char kind[NETLINK_KIND_MAX];
	uint64_t bytes, packets; /* sent on (dequeued); bytes as the tree counts them */
	uint32_t qlen, backlog;	 /* now: packets and bytes queued */
	uint32_t drops, requeues, overlimits;
};

/* Opens the socket inside network namespace /run/netns/<ns> (NULL: the caller's own) and
 * returns to the caller's namespace. Returns 0 or -errno, with a message in err. */
int netlink_open(struct netlink *nl, const char *ns, char *err, size_t errlen);
void netlink_close(struct netlink *nl);

/* The index of device `ifname` in the socket's namespace, or -errno with a message. */
int netlink_ifindex(struct netlink *nl, const char *ifname, char *err, size_t errlen);

/* One end of a veth pair. */
struct netlink_veth_end {
	const char *ifname;
	const char *mac; /* "02:cc:..." */
	int netns_fd;	 /* the end's namespace (an open /run/netns/<ns>) */
};

/* Creates the veth pair a - b, each end in its own namespace, with its name, address and
 * gso_max_segs (0: the kernel's default). Returns 0 or -errno with a message. */
int netlink_veth_add(struct netlink *nl, const struct netlink_veth_end *a,
		     const struct netlink_veth_end *b, uint32_t gso_max_segs, char *err,
		     size_t errlen);
/* Sets device ifindex up. */
int netlink_link_up(struct netlink *nl, int ifindex, char *err, size_t errlen);
/* Adds IPv4 address addr/plen to device ifindex. */
int netlink_addr_add(struct netlink *nl, int ifindex, const char *addr, int plen, char *err,
		     size_t errlen);
/* Adds the IPv4 route dst/plen to the main table: via gw ("" or NULL: none), out of device
 * oif (0: any). */
int netlink_route_add(struct netlink *nl, const char *dst, int plen, const char *gw, int oif,
		      char *err, size_t errlen);
/* A permanent neighbour entry addr -> mac on device ifindex, replacing any other. */
int netlink_neigh_set(struct netlink *nl, int ifindex, const char *addr, const char *mac, char *err,
		      size_t errlen);

/* Writes the RTM_NEWQDISC request (create, exclusive, acknowledged) for q on device ifindex
 * into buf. Returns the message, or NULL when it does not fit in len (or q is invalid). */
struct nlmsghdr *netlink_qdisc_request(void *buf, size_t len, int ifindex,
				       const struct netlink_qdisc *q, uint32_t seq);
/* Adds q on device ifindex. Returns 0 or -errno with the kernel's message (or strerror)
 * in err. */
int netlink_qdisc_add(struct netlink *nl, int ifindex, const struct netlink_qdisc *q, char *err,
		      size_t errlen);
/* The qdiscs of device ifindex, the ones their parents made by themselves included: up to
 * max in out. Returns how many there are (may exceed max), or -errno with a message. */
int netlink_qdisc_stats(struct netlink *nl, int ifindex, struct netlink_qdisc_stats *out, int max,
			char *err, size_t errlen);

/* A probability as the kernel's 32-bit fraction (UINT32_MAX is 1), rounded as iproute2
 * does, so that a config and a `tc` command line give the same bits. */
uint32_t netlink_prob(double p);
/* Nanoseconds in the kernel's psched ticks (/proc/net/psched; 64 ns on Linux since 2.6.24),
 * saturated at UINT32_MAX. */
uint32_t netlink_ns_to_ticks(uint64_t ns);
/* "1:", "10:", "root": a handle or parent as tc writes it. */
void netlink_handle_str(uint32_t handle, char *buf, size_t len);
const char *netlink_kind_name(enum netlink_qdisc_kind kind);

#endif
