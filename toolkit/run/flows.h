/* The built-in bulk flows: one receiver and one sender process per flow, each in its host's
 * namespace and in the run's cgroup, started and stopped on the config's schedule. */
#ifndef CCX_TRAFFIC_H
#define CCX_TRAFFIC_H

#include "core/config.h"
#include "kernel/topology.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a sender saw of one connection, from its own socket. Times count from t0. */
struct sender_result {
	uint32_t flow_id, index;
	uint16_t client_port, server_port;
	int error; /* errno of the first failure, 0 when none */
	bool connected, finished;
	double connect_start_s, connect_done_s, end_s;
	/* TCP_INFO right after connect, before any data was sent */
	uint32_t connect_snd_cwnd, connect_snd_ssthresh, connect_rto_us;
	uint8_t connect_options;
	char cc[16]; /* TCP_CONGESTION read back from the socket */
	/* TCP_INFO once the receiver closed */
	uint64_t bytes_acked;
	uint32_t total_retrans;
};

struct receiver_result {
	uint32_t flow_id;
	uint16_t client_port;
	uint64_t bytes;
	bool eof;
};

/* One process of the flows: a built-in sender or receiver, a cmd or its server_cmd. */
struct flow_proc {
	pid_t pid; /* 0 once reaped */
	int flow_id;
	bool is_sender; /* a sender or a cmd: the run lasts while they do */
	bool ended;	/* reaped: status is its wait status */
	bool term_sent; /* ccexp asked it to stop (SIGTERM, then SIGKILL) before it ended */
	int status;
};

struct traffic {
	struct sender_result *snd;   /* shared with the flow processes */
	struct receiver_result *rcv; /* shared, in accept order per flow */
	int nconns;
	size_t map_len;
	struct flow_proc procs[2 * CFG_MAX_FLOWS];
	int nprocs;
	uint64_t t0_ns;
};

/* Forks the receivers (and the cmd flows' server_cmd), waits until they listen, fixes t0
 * (returned in tr->t0_ns) and forks the senders and cmds, which wait for their start_s.
 * A cmd's output goes to outdir/apps/<flow>.client.{out,err} (<flow>.server.{out,err} for
 * its server_cmd). The waits end early once *stop is set (a signal to the run): -EINTR.
 * Returns 0 or -errno. */
int traffic_start(struct traffic *tr, const struct experiment *exp, const struct topology *t,
		  const char *outdir, const volatile sig_atomic_t *stop);
/* The process that ran flow_id's client side (its sender or cmd), or its server side; NULL
 * when there was none. */
const struct flow_proc *traffic_proc(const struct traffic *tr, int flow_id, bool sender);
/* Reaps exited flow processes without blocking; returns how many senders and cmds still
 * run (receivers and servers end when traffic_stop asks them to). */
int traffic_running(struct traffic *tr);
/* Asks the flows to stop (SIGTERM: senders close gracefully), then SIGKILLs what is left
 * after grace_ms. */
void traffic_stop(struct traffic *tr, int grace_ms);
void traffic_free(struct traffic *tr);

#endif
