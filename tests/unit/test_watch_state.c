/* Unit test of ccexp watch's live state (toolkit/watch_state.c): flows by server port, one
 * connection per cookie, retransmission and RTO counts, goodput per tick, the table limits. */
#include "ccx_test.h"
#include "watch_state.h"

#include <linux/bpf.h>
#include <math.h>

static struct ccx_event ev(uint32_t type, uint64_t cookie, uint16_t server_port, uint8_t side)
{
	struct ccx_event e = {0};

	e.type = type;
	e.cookie = cookie;
	e.flow_id = server_port;
	e.side = side;
	e.lport = side == CCX_SIDE_SENDER ? 40000 : server_port;
	e.rport = side == CCX_SIDE_SENDER ? server_port : 40000;
	e.state = 1;
	e.snd_cwnd = 10;
	return e;
}

/* The hook turns the event's flow_id from a port into a flow index: each call gets a copy,
 * as the collector gives it, and the index comes back. */
static uint32_t feed(struct watch_state *s, struct ccx_event e)
{
	CHECK(watch_state_event(s, &e) == 0);
	return e.flow_id;
}

int main(void)
{
	static struct experiment exp;
	static struct watch_state s;
	struct ccx_event e;
	struct watch_conn *c;

	CHECK(watch_state_init(&s, &exp) == 0);

	/* Two sockets to port 443, one accepted on 8080: two flows, named by the port. */
	CHECK(feed(&s, ev(CCX_EV_HANDSHAKE, 1, 443, CCX_SIDE_SENDER)) == 0);
	CHECK(feed(&s, ev(CCX_EV_SAMPLE, 2, 443, CCX_SIDE_SENDER)) == 0);
	CHECK(feed(&s, ev(CCX_EV_SAMPLE, 3, 8080, CCX_SIDE_RECEIVER)) == 1);
	CHECK(exp.nflows == 2);
	CHECK_STR_EQ(exp.flows[0].name, "443");
	CHECK_STR_EQ(exp.flows[1].name, "8080");
	CHECK(s.nconns == 3);
	CHECK(s.flows[0].conns_opened == 2 && s.flows[1].conns_opened == 1);
	CHECK(exp.flows[0].count == 2);

	/* A listener's own event makes no connection. */
	e = ev(CCX_EV_HANDSHAKE, 9, 8080, CCX_SIDE_RECEIVER);
	e.args[0] = BPF_SOCK_OPS_TCP_LISTEN_CB;
	feed(&s, e);
	CHECK(s.nconns == 3);

	/* Retransmissions count the segments that left (result 0); RTOs and CLOSE. */
	e = ev(CCX_EV_RETRANS, 3, 8080, CCX_SIDE_RECEIVER);
	e.args[1] = 2;
	feed(&s, e);
	e.args[1] = 5;
	e.args[2] = 1; /* refused by the local queue */
	feed(&s, e);
	e = ev(CCX_EV_RTO, 3, 8080, CCX_SIDE_RECEIVER);
	feed(&s, e);
	c = watch_state_conn(&s, 3);
	CHECK(c && c->retrans_segs == 2 && c->rtos == 1 && c->side == CCX_SIDE_RECEIVER);
	CHECK(s.flows[1].retrans_segs == 2 && s.flows[1].rtos == 1);
	e = ev(CCX_EV_STATE, 3, 8080, CCX_SIDE_RECEIVER);
	e.args[0] = 1;
	e.args[1] = 7;
	feed(&s, e);
	feed(&s, e); /* a repeated CLOSE counts once */
	CHECK(c->closed && s.flows[1].conns_closed == 1 && s.flows[1].state_changes == 2);

	/* Found open by the iterator. */
	e = ev(CCX_EV_HANDSHAKE, 4, 443, CCX_SIDE_SENDER);
	e.args[0] = CCX_OP_EXISTING;
	feed(&s, e);
	CHECK(watch_state_conn(&s, 4)->existing && s.flows[0].conns_existing == 1);

	/* Goodput: bytes both ways between two ticks; the flow's bytes never go back. */
	e = ev(CCX_EV_SAMPLE, 1, 443, CCX_SIDE_SENDER);
	e.bytes_acked = 1000;
	feed(&s, e);
	watch_state_tick(&s, 1.0);
	e.bytes_acked = 1000 + 125000;
	e.bytes_received = 125000;
	feed(&s, e);
	watch_state_tick(&s, 2.0);
	c = watch_state_conn(&s, 1);
	CHECK_MSG(fabs(c->goodput_mbit - 2.0) < 1e-9, "%f", c->goodput_mbit);
	CHECK(s.flows[0].bytes_acked == 126000 && s.flows[0].bytes_received == 125000);

	/* Server ports beyond the table share the flow "other". */
	for (int p = 0; p < 100; p++) {
		e = ev(CCX_EV_SAMPLE, 1000 + p, (uint16_t)(10000 + p), CCX_SIDE_SENDER);
		CHECK(feed(&s, e) == (uint32_t)(p < CFG_MAX_FLOWS - 3 ? p + 2 : CFG_MAX_FLOWS - 1));
	}
	CHECK(exp.nflows == CFG_MAX_FLOWS);
	CHECK_STR_EQ(exp.flows[CFG_MAX_FLOWS - 1].name, "other");
	/* And port 0 (the BPF table was full) is that flow too. */
	CHECK(feed(&s, ev(CCX_EV_SAMPLE, 5000, 0, CCX_SIDE_SENDER)) == CFG_MAX_FLOWS - 1);

	watch_state_free(&s);
	return ccx_test_failures ? 1 : 0;
}
