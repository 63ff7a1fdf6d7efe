/* Unit test of `ccexp watch --metrics` (toolkit/watch_metrics.c) and the counters it reads
 * from the watch state: retransmissions by cause and those not sent, limited time from the
 * chronos (a connection found open counts from its first snapshot), the srtt histogram, the
 * exposition text and the [ADDR:]PORT parser. */
#include "ccx_test.h"
#include "watch_metrics.h"
#include "core/knobs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct ccx_event ev(uint32_t type, uint64_t cookie, uint16_t server_port)
{
	struct ccx_event e = {0};

	e.type = type;
	e.cookie = cookie;
	e.flow_id = server_port;
	e.side = CCX_SIDE_SENDER;
	e.state = 1;
	e.snd_cwnd = 10;
	return e;
}

static void feed(struct watch_state *s, struct ccx_event e)
{
	CHECK(watch_state_event(s, &e) == 0);
}

static void retrans(struct watch_state *s, uint64_t cookie, uint32_t segs, uint32_t result,
		    uint32_t cause)
{
	struct ccx_event e = ev(CCX_EV_RETRANS, cookie, 443);

	e.args[1] = segs;
	e.args[2] = result;
	e.args[3] = cause;
	feed(s, e);
}

static void chronos(struct watch_state *s, uint64_t cookie, uint32_t busy, uint32_t rwnd,
		    uint32_t sndbuf, uint32_t srtt_us)
{
	struct ccx_event e = ev(CCX_EV_SAMPLE, cookie, 443);

	e.chrono_busy_j = busy;
	e.chrono_rwnd_j = rwnd;
	e.chrono_sndbuf_j = sndbuf;
	e.srtt_us = srtt_us;
	feed(s, e);
}

static void check_parse(const char *spec, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	char buf[INET6_ADDRSTRLEN] = "";
	const void *a = family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
					   : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	int p;

	CHECK_MSG(watch_metrics_parse(spec, &ss) == 0, "%s", spec);
	CHECK_MSG(ss.ss_family == family, "%s", spec);
	inet_ntop(family, a, buf, sizeof(buf));
	CHECK_STR_EQ(buf, addr);
	p = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				     : ((struct sockaddr_in *)&ss)->sin_port);
	CHECK_MSG(p == port, "%s: port %d", spec, p);
}

int main(void)
{
	static const char *const bad[] = {"",	      "0",	  "65536",	"x",	   ":80",
					  "1.2.3.4:", "1.2.3:80", "host:80",	"[::1:80", "[]:80",
					  "80x",      "-80",	  "1.2.3.4:+8", NULL};
	static struct experiment exp;
	static struct watch_state s;
	struct watch_metrics_src src = {.cgroup = "/sys/fs/cgroup/a\"b", .st = &s, .hz = 250};
	struct ccx_event e;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(watch_state_init(&s, &exp) == 0);
	feed(&s, ev(CCX_EV_HANDSHAKE, 1, 443));
	/* Every retransmission counts by its cause, sent or refused; refused ones apart. */
	retrans(&s, 1, 2, 0, CCX_RETRANS_FAST);
	retrans(&s, 1, 3, 1, CCX_RETRANS_FAST);
	retrans(&s, 1, 1, 0, CCX_RETRANS_RTO);
	retrans(&s, 1, 1, 0, CCX_RETRANS_TLP);
	retrans(&s, 1, 4, 0, 99); /* unknown: other */
	CHECK(s.flows[0].retrans_cause_segs[CCX_RETRANS_FAST] == 5);
	CHECK(s.flows[0].retrans_cause_segs[CCX_RETRANS_RTO] == 1);
	CHECK(s.flows[0].retrans_cause_segs[CCX_RETRANS_TLP] == 1);
	CHECK(s.flows[0].retrans_cause_segs[CCX_RETRANS_OTHER] == 4);
	CHECK(s.flows[0].retrans_unsent_segs == 3 && s.flows[0].retrans_segs == 8);

	/* A new connection's chronos count from 0; they only grow. */
	chronos(&s, 1, 10, 2, 0, 80);
	chronos(&s, 1, 30, 2, 5, 3000);
	chronos(&s, 1, 20, 2, 5, 2000000); /* a late snapshot takes nothing back */
	CHECK(s.flows[0].limited_j[WATCH_LIMIT_CWND] == 30);
	CHECK(s.flows[0].limited_j[WATCH_LIMIT_RWND] == 2);
	CHECK(s.flows[0].limited_j[WATCH_LIMIT_SNDBUF] == 5);
	/* One found open: its first snapshot is its past, not watched time. */
	e = ev(CCX_EV_HANDSHAKE, 2, 443);
	e.args[0] = CCX_OP_EXISTING;
	e.chrono_busy_j = 1000;
	e.chrono_rwnd_j = 500;
	feed(&s, e);
	chronos(&s, 2, 1004, 500, 0, 0);
	CHECK_MSG(s.flows[0].limited_j[WATCH_LIMIT_CWND] == 34, "%llu",
		  (unsigned long long)s.flows[0].limited_j[WATCH_LIMIT_CWND]);
	CHECK(s.flows[0].limited_j[WATCH_LIMIT_RWND] == 2);
	/* srtt: 80 us in the first bucket, 3 ms in the 5 ms one, 2 s above all; 0 is no sample. */
	CHECK(s.flows[0].srtt_count == 3 && s.flows[0].srtt_buckets[0] == 1);
	CHECK(s.flows[0].srtt_buckets[5] == 1 && s.flows[0].srtt_buckets[WATCH_SRTT_BUCKETS] == 1);
	CHECK(chrono_jiffies_s(250, 250) == 1.0 && chrono_jiffies_s(3, 1000) == 0.003);

	/* A second flow whose algorithm is not known yet is not shown. */
	feed(&s, ev(CCX_EV_HANDSHAKE, 3, 8080));
	snprintf(exp.flows[0].cc, sizeof(exp.flows[0].cc), "cubic");
	f = open_memstream(&text, &len);
	CHECK(f && watch_metrics_text(f, &src) == 0);
	fclose(f);
#define L "{cgroup=\"/sys/fs/cgroup/a\\\"b\",port=\"443\",cc=\"cubic\""
	CHECK(strstr(text, "# TYPE ccexp_tcp_retransmits_total counter\n"));
	CHECK(strstr(text, "\nccexp_tcp_retransmits_total" L ",cause=\"fast\"} 5\n"));
	CHECK(strstr(text, "\nccexp_tcp_retransmits_total" L ",cause=\"other\"} 4\n"));
	CHECK(strstr(text, "\nccexp_tcp_retransmits_unsent_total" L "} 3\n"));
	CHECK(strstr(text, "\nccexp_tcp_limited_seconds_total" L ",cause=\"cwnd\"} 0.136000\n"));
	CHECK(strstr(text, "\nccexp_tcp_limited_seconds_total" L ",cause=\"sndbuf\"} 0.020000\n"));
	CHECK(strstr(text, "\nccexp_tcp_connections_opened_total" L "} 2\n"));
	CHECK(strstr(text, "# TYPE ccexp_tcp_srtt_seconds histogram\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_bucket" L ",le=\"0.0001\"} 1\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_bucket" L ",le=\"0.005\"} 2\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_bucket" L ",le=\"1\"} 2\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_bucket" L ",le=\"+Inf\"} 3\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_count" L "} 3\n"));
	CHECK(strstr(text, "\nccexp_tcp_srtt_seconds_sum" L "} 2.003080\n"));
	CHECK(!strstr(text, "port=\"8080\""));
	CHECK(!strstr(text, "ccexp_bpf_")); /* no collector */
	CHECK_MSG(text[len - 1] == '\n', "%s", text);
	free(text);

	check_parse("47001", AF_INET, "127.0.0.1", 47001);
	check_parse("0.0.0.0:9", AF_INET, "0.0.0.0", 9);
	check_parse("[::1]:65535", AF_INET6, "::1", 65535);
	for (int i = 0; bad[i]; i++) {
		struct sockaddr_storage ss;

		CHECK_MSG(watch_metrics_parse(bad[i], &ss) == -EINVAL, "%s", bad[i]);
	}
	watch_state_free(&s);
	return ccx_test_failures ? 1 : 0;
}
