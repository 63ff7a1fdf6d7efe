/* The tun link backend: a TUN device in each host's namespace and an emulator process
 * between them that runs the link model (toolkit/link/emu.h) on every packet. */
#ifndef CCX_LINK_TUN_H
#define CCX_LINK_TUN_H

#include "link/emu.h"
#include "kernel/child.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum tun_dir {
	TUN_UP = 0,   /* sender -> receiver */
	TUN_DOWN = 1, /* receiver -> sender (ACKs) */
};

/* Shared with the emulator process (MAP_SHARED): what the parent tells it, what it reports. */
struct tun_shared {
	volatile uint64_t t0_ns; /* experiment start; 0 until the flows are started */
	struct emu_stats stats[2];
	uint32_t max_queue_pkts[2]; /* the largest queue seen, over the whole run */
	uint64_t max_queue_bytes[2];
	uint64_t unsplit[2];	  /* super-packets the emulator could not split, dropped */
	uint64_t write_errors[2]; /* packets (runs) the other end's device refused */
	int64_t device_drops[2];  /* dropped by the sending host's device before the emulator
				   * read them (its queue was full); -1: unknown */
	bool offload;		  /* the hosts hand over TCP super-packets (TSO) */
	/* The capture (link.capture): records in link.pcap and link_drops.pcap, records left
	 * out (the disk fell behind), whether every record handed over reached the files, and
	 * the run's t0 on the wall clock that their times count on. */
	uint64_t capture_pkts, capture_drop_pkts, capture_lost_pkts;
	bool capture_ok;
	uint64_t capture_t0_unix_ns;
	volatile int done; /* the emulator wrote its final stats */
	char error[256];   /* the first thing that went wrong in the emulator, "" if none */
};

struct tun_link_config {
	struct emu_params dir[2];
	uint32_t pool_pkts[2];
	int sample_interval_ms;
	const char *outdir;	 /* timeline/link.csv and events/link_drops.csv go here */
	const char *ns[2];	 /* [TUN_UP] the sender's namespace, [TUN_DOWN] the receiver's */
	const char *ifname;	 /* the device name in both namespaces */
	const char *addr[2];	 /* the address of each end */
	const char *peer_net[2]; /* the other end's subnet, routed through the device */
	/* Each flow's extra delay in ns, [direction][flow] (NULL: none has one). Flow i's
	 * packets are those with the receiver's port flow_port_base + i: the destination
	 * port going up, the source port coming down. */
	const uint64_t *flow_extra_ns[2];
	int nflows;
	uint16_t flow_port_base;
	bool capture;			/* write link.pcap and link_drops.pcap into outdir */
	uint32_t capture_snaplen_bytes; /* of each packet; 0: all of it */
};

/* How long the emulator has to open its files and say ready, and to finish once told. */
#define TUN_READY_MS 10000
#define TUN_STOP_MS  3000

struct tun_link {
	struct child proc; /* the emulator process; its control pipe's EOF tells it to finish */
	struct tun_shared *shared;
	bool started, stopped;
	int stop_result;
	char error[CHILD_WHY_MAX + 32]; /* what went wrong, "" when nothing did */
};

/* Creates the two TUN devices, addresses and routes them, and starts the emulator process
 * (it dies with ccexp: the devices go with its file descriptors). Returns 0 or -errno. */
int tun_link_start(struct tun_link *l, const struct tun_link_config *cfg);
/* Tells the emulator the experiment's start (t_s = 0 of its rows). */
void tun_link_set_t0(struct tun_link *l, uint64_t t0_ns);
/* False once the emulator process has exited (it should only when told to). */
bool tun_link_alive(struct tun_link *l);
/* Stops the emulator, waits for its final stats; safe to call twice. Returns 0, or -errno
 * when the emulator failed to write its files or had to be killed (l->error says which:
 * its timeline is then incomplete). */
int tun_link_stop(struct tun_link *l);
/* Frees the shared page (after tun_link_stop, once its stats were read). */
void tun_link_free(struct tun_link *l);

#endif
