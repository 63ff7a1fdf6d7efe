/* `ccexp watch`'s live state, kept from the collector's events (see watch_state.h). */
#include "watch_state.h"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TCP_STATE_CLOSE 7

/* From loopback (tens of us) to a satellite path (over 500 ms). */
const uint32_t watch_srtt_bucket_us[WATCH_SRTT_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};

int watch_state_init(struct watch_state *s, struct experiment *exp)
{
	uint32_t nslots = 2 * WATCH_STATE_MAX_CONNS;

	memset(s, 0, sizeof(*s));
	s->exp = exp;
	memset(s->port_flow, 0xff, sizeof(s->port_flow));
	s->conns = calloc(WATCH_STATE_MAX_CONNS, sizeof(*s->conns));
	s->slots = malloc(nslots * sizeof(*s->slots));
	if (!s->conns || !s->slots) {
		watch_state_free(s);
		return -ENOMEM;
	}
	memset(s->slots, 0xff, nslots * sizeof(*s->slots));
	s->slots_mask = nslots - 1;
	return 0;
}

void watch_state_free(struct watch_state *s)
{
	free(s->conns);
	free(s->slots);
	s->conns = NULL;
	s->slots = NULL;
}

/* The flow of a server port, added on first sight; the last slot is "other". */
static int flow_of_port(struct watch_state *s, uint16_t port)
{
	struct experiment *exp = s->exp;
	struct flow_spec *fs;
	int i = s->port_flow[port];

	if (i >= 0)
		return i;
	if (port && exp->nflows >= CFG_MAX_FLOWS - 1)
		return flow_of_port(s, 0);
	i = exp->nflows++;
	fs = &exp->flows[i];
	memset(fs, 0, sizeof(*fs));
	if (port)
		snprintf(fs->name, sizeof(fs->name), "%u", port);
	else
		snprintf(fs->name, sizeof(fs->name), "other");
	fs->stop_s = exp->duration_s;
	s->flows[i].server_port = port;
	s->port_flow[port] = (int16_t)i;
	return i;
}

static uint32_t slot_of(const struct watch_state *s, uint64_t cookie)
{
	return (uint32_t)((cookie * 0x9e3779b97f4a7c15ull) >> 32) & s->slots_mask;
}

struct watch_conn *watch_state_conn(struct watch_state *s, uint64_t cookie)
{
	for (uint32_t i = slot_of(s, cookie); s->slots[i] >= 0; i = (i + 1) & s->slots_mask)
		if (s->conns[s->slots[i]].cookie == cookie)
			return &s->conns[s->slots[i]];
	return NULL;
}

static struct watch_conn *add_conn(struct watch_state *s, const struct ccx_event *e, int flow)
{
	uint32_t i = slot_of(s, e->cookie);
	struct watch_conn *w;

	if (s->nconns >= WATCH_STATE_MAX_CONNS)
		return NULL;
	while (s->slots[i] >= 0)
		i = (i + 1) & s->slots_mask;
	s->slots[i] = s->nconns;
	w = &s->conns[s->nconns++];
	memset(w, 0, sizeof(*w));
	w->cookie = e->cookie;
	w->flow = flow;
	w->side = e->side;
	w->first_t_s = (double)e->ts_ns / 1e9;
	s->flows[flow].conns_opened++;
	s->exp->flows[flow].count++;
	return w;
}

static void put_addr(char *buf, size_t len, int family, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* Addresses and algorithm, which the BPF program stored by cookie before the first event of
 * an established connection (events before that come without). */
static void fill_addr(struct watch_state *s, struct watch_conn *w, bool closing)
{
	struct ccx_watch_conn wc;

	if (w->have_addr || !s->col || collect_watch_conn(s->col, w->cookie, &wc, closing) < 0)
		return;
	put_addr(w->local, sizeof(w->local), wc.family, wc.laddr, wc.lport);
	put_addr(w->remote, sizeof(w->remote), wc.family, wc.raddr, wc.rport);
	snprintf(w->cc, sizeof(w->cc), "%.*s", (int)sizeof(wc.cc), wc.cc);
	w->have_addr = true;
	if (wc.existing && !w->existing) {
		w->existing = true;
		s->flows[w->flow].conns_existing++;
	}
	if (!s->exp->flows[w->flow].cc[0])
		snprintf(s->exp->flows[w->flow].cc, CFG_CC_MAX, "%s", w->cc);
}

/* The chronos only grow while a socket lives: what grew since its previous snapshot is time
 * spent while watched. A connection found open brings its past: its first snapshot is only a
 * baseline. */
static void add_chronos(struct watch_flow *f, struct watch_conn *w, const struct ccx_event *e)
{
	const uint32_t now[WATCH_LIMITS] = {e->chrono_busy_j, e->chrono_rwnd_j, e->chrono_sndbuf_j};
	bool baseline = !w->have_chrono && w->existing;

	for (int i = 0; i < WATCH_LIMITS; i++) {
		if (now[i] <= w->chrono_j[i])
			continue;
		if (!baseline)
			f->limited_j[i] += now[i] - w->chrono_j[i];
		w->chrono_j[i] = now[i];
	}
	w->have_chrono = true;
}

static void add_srtt(struct watch_flow *f, uint32_t srtt_us)
{
	int b = 0;

	while (b < WATCH_SRTT_BUCKETS && srtt_us > watch_srtt_bucket_us[b])
		b++;
	f->srtt_buckets[b]++;
	f->srtt_count++;
	f->srtt_sum_us += srtt_us;
}

int watch_state_event(void *arg, struct ccx_event *e)
{
	struct watch_state *s = arg;
	struct watch_flow *f;
	struct watch_conn *w;
	int flow;

	if (e->flow_id > 0xffff)
		return 1;
	flow = flow_of_port(s, (uint16_t)e->flow_id);
	e->flow_id = (uint32_t)flow;
	s->events[e->type]++;
	/* A listener's own events are not a connection's. */
	if (e->type == CCX_EV_HANDSHAKE && e->args[0] == BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 0;
	w = watch_state_conn(s, e->cookie);
	if (!w)
		w = add_conn(s, e, flow);
	if (!w) {
		s->untracked++;
		return 0;
	}
	f = &s->flows[w->flow];
	if (e->type == CCX_EV_HANDSHAKE && e->args[0] == CCX_OP_EXISTING && !w->existing) {
		w->existing = true;
		f->conns_existing++;
	}
	fill_addr(s, w, e->type == CCX_EV_STATE && e->args[1] == TCP_STATE_CLOSE);
	w->state = e->state;
	w->last_t_s = (double)e->ts_ns / 1e9;
	if (e->snd_cwnd || e->bytes_acked || e->bytes_received) {
		/* A request socket's events carry no snapshot. */
		f->bytes_acked +=
		    e->bytes_acked -
		    (e->bytes_acked >= w->bytes_acked ? w->bytes_acked : e->bytes_acked);
		f->bytes_received += e->bytes_received - (e->bytes_received >= w->bytes_received
							      ? w->bytes_received
							      : e->bytes_received);
		w->cwnd_pkts = e->snd_cwnd;
		w->ssthresh_pkts = e->snd_ssthresh;
		w->srtt_us = e->srtt_us;
		w->bytes_acked = e->bytes_acked;
		w->bytes_received = e->bytes_received;
		w->total_retrans = e->total_retrans;
		add_chronos(f, w, e);
	}
	switch (e->type) {
	case CCX_EV_RTO:
		w->rtos++;
		f->rtos++;
		break;
	case CCX_EV_RETRANS:
		/* The kernel counts a retransmission (TcpRetransSegs, total_retrans) whether or
		 * not the local queue took it; the table counts those that left. */
		f->retrans_cause_segs[e->args[3] < CCX_RETRANS_CAUSES ? e->args[3] : 0] +=
		    e->args[1];
		if (e->args[2] == 0) {
			w->retrans_segs += e->args[1];
			f->retrans_segs += e->args[1];
		} else {
			f->retrans_unsent_segs += e->args[1];
		}
		break;
	case CCX_EV_SAMPLE:
		if (e->srtt_us)
			add_srtt(f, e->srtt_us);
		break;
	case CCX_EV_STATE:
		f->state_changes++;
		w->state = (uint8_t)e->args[1];
		if (e->args[1] == TCP_STATE_CLOSE && !w->closed) {
			w->closed = true;
			f->conns_closed++;
		}
		break;
	case CCX_EV_CA_STATE:
		w->ca_state = (uint8_t)e->args[1];
		break;
	}
	return 0;
}

void watch_state_tick(struct watch_state *s, double t_s)
{
	double dt = t_s - s->last_tick_s;

	for (int i = 0; i < s->nconns; i++) {
		struct watch_conn *w = &s->conns[i];
		uint64_t bytes = w->bytes_acked + w->bytes_received;

		w->goodput_mbit = dt > 0 && bytes >= w->tick_bytes && w->tick_bytes
				      ? (double)(bytes - w->tick_bytes) * 8 / dt / 1e6
				      : 0;
		w->tick_bytes = bytes;
	}
	s->last_tick_s = t_s;
}
