/* `ccexp watch --metrics`: the Prometheus text endpoint (docs/watch.md, Metrics). */
#include "watch_metrics.h"
#include "core/knobs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TIMEOUT_S    10

struct watch_metrics {
	struct MHD_Daemon *d;
	struct watch_metrics_src src;
};

int watch_metrics_parse(const char *spec, struct sockaddr_storage *addr)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	const char *colon = strrchr(spec, ':'), *port_s = colon ? colon + 1 : spec;
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - spec) : 0;
	unsigned long port;
	char *end;

	memset(addr, 0, sizeof(*addr));
	if (!*port_s || *port_s < '0' || *port_s > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno || *end || port < 1 || port > 65535 || hlen >= sizeof(host) || (colon && !hlen))
		return -EINVAL;
	memcpy(host, colon ? spec : WATCH_METRICS_DEFAULT_ADDR,
	       colon ? hlen : sizeof(WATCH_METRICS_DEFAULT_ADDR));
	host[colon ? hlen : sizeof(WATCH_METRICS_DEFAULT_ADDR) - 1] = '\0';
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* A label value: backslash, double quote and newline escaped, as the format asks. */
static void put_label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Starts a per-flow sample: its name and the labels every one has. A flow is shown once its
 * algorithm is known, so that its series never change labels; false before. */
static bool flow_sample(FILE *f, const struct watch_metrics_src *src, const char *name, int i)
{
	const struct flow_spec *fs = &src->st->exp->flows[i];

	if (!fs->cc[0])
		return false;
	fprintf(f, "%s{", name);
	put_label(f, "cgroup", src->cgroup, true);
	put_label(f, "port", fs->name, false);
	put_label(f, "cc", fs->cc, false);
	return true;
}

/* One sample per flow of a per-flow counter at byte offset off in struct watch_flow. */
static void flow_counter(FILE *f, const struct watch_metrics_src *src, const char *name,
			 const char *help, size_t off)
{
	family(f, name, "counter", help);
	for (int i = 0; i < src->st->exp->nflows; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&src->st->flows[i] + off, sizeof(v));
		if (flow_sample(f, src, name, i))
			fprintf(f, "} %llu\n", (unsigned long long)v);
	}
}

static void tcp_metrics(FILE *f, const struct watch_metrics_src *src)
{
	static const char *const limit_names[WATCH_LIMITS] = {"cwnd", "rwnd", "sndbuf"};
	const struct watch_state *st = src->st;
	int n = st->exp->nflows;

	family(f, "ccexp_tcp_retransmits_total", "counter",
	       "Segments retransmitted, by cause (fast, rto, tlp, other), as the kernel counts "
	       "them (TcpRetransSegs): also those the local queue refused.");
	for (int i = 0; i < n; i++)
		for (uint32_t c = 0; c < CCX_RETRANS_CAUSES; c++) {
			if (!flow_sample(f, src, "ccexp_tcp_retransmits_total", i))
				break;
			put_label(f, "cause", collect_retrans_cause_name(c), false);
			fprintf(f, "} %llu\n",
				(unsigned long long)st->flows[i].retrans_cause_segs[c]);
		}
	flow_counter(f, src, "ccexp_tcp_retransmits_unsent_total",
		     "Of the retransmitted segments, those the local queue or device refused.",
		     offsetof(struct watch_flow, retrans_unsent_segs));
	flow_counter(f, src, "ccexp_tcp_rtos_total", "Retransmission timeouts.",
		     offsetof(struct watch_flow, rtos));
	flow_counter(f, src, "ccexp_tcp_state_transitions_total", "TCP state changes.",
		     offsetof(struct watch_flow, state_changes));
	flow_counter(f, src, "ccexp_tcp_acked_bytes_total",
		     "Bytes sent and acknowledged by the peer.",
		     offsetof(struct watch_flow, bytes_acked));
	flow_counter(f, src, "ccexp_tcp_received_bytes_total", "Bytes received.",
		     offsetof(struct watch_flow, bytes_received));
	flow_counter(f, src, "ccexp_tcp_connections_opened_total",
		     "Connections seen, those found open at start included.",
		     offsetof(struct watch_flow, conns_opened));
	flow_counter(f, src, "ccexp_tcp_connections_closed_total",
		     "Connections that reached CLOSE.", offsetof(struct watch_flow, conns_closed));
	family(f, "ccexp_tcp_limited_seconds_total", "counter",
	       "Busy time by what limited sending (cwnd, rwnd, sndbuf), from the kernel's chrono "
	       "accounting.");
	for (int i = 0; i < n; i++)
		for (int l = 0; l < WATCH_LIMITS; l++) {
			if (!flow_sample(f, src, "ccexp_tcp_limited_seconds_total", i))
				break;
			put_label(f, "cause", limit_names[l], false);
			fprintf(f, "} %.6f\n",
				chrono_jiffies_s(st->flows[i].limited_j[l], src->hz));
		}
	family(f, "ccexp_tcp_srtt_seconds", "histogram",
	       "Smoothed RTT of the connections' samples (at most one per 100 ms each).");
	for (int i = 0; i < n; i++) {
		const struct watch_flow *fl = &st->flows[i];
		uint64_t cum = 0;

		if (!st->exp->flows[i].cc[0])
			continue;
		for (int b = 0; b <= WATCH_SRTT_BUCKETS; b++) {
			char le[32];

			cum += fl->srtt_buckets[b];
			if (b < WATCH_SRTT_BUCKETS)
				snprintf(le, sizeof(le), "%g", watch_srtt_bucket_us[b] / 1e6);
			else
				snprintf(le, sizeof(le), "+Inf");
			flow_sample(f, src, "ccexp_tcp_srtt_seconds_bucket", i);
			put_label(f, "le", le, false);
			fprintf(f, "} %llu\n", (unsigned long long)cum);
		}
		flow_sample(f, src, "ccexp_tcp_srtt_seconds_sum", i);
		fprintf(f, "} %.6f\n", fl->srtt_sum_us / 1e6);
		flow_sample(f, src, "ccexp_tcp_srtt_seconds_count", i);
		fprintf(f, "} %llu\n", (unsigned long long)fl->srtt_count);
	}
}

/* What watching costs: the programs' kernel statistics and the events they produced. */
static void own_metrics(FILE *f, const struct watch_metrics_src *src)
{
	struct collect_prog_stat progs[8];
	struct ccx_counter cnt[CCX_EV_MAX];
	int np = collect_prog_stats(src->col, progs, 8);
	bool have_cnt = collect_counters(src->col, cnt) == 0;

	family(f, "ccexp_bpf_runs_total", "counter", "Runs of each of watch's BPF programs.");
	for (int i = 0; i < np; i++) {
		fprintf(f, "ccexp_bpf_runs_total{");
		put_label(f, "program", progs[i].name, true);
		fprintf(f, "} %llu\n", (unsigned long long)progs[i].run_cnt);
	}
	family(f, "ccexp_bpf_run_seconds_total", "counter",
	       "Time the kernel spent in each program (counted only while "
	       "kernel.bpf_stats_enabled is 1).");
	for (int i = 0; i < np; i++) {
		fprintf(f, "ccexp_bpf_run_seconds_total{");
		put_label(f, "program", progs[i].name, true);
		fprintf(f, "} %.9f\n", progs[i].run_time_ns / 1e9);
	}
	family(f, "ccexp_events_total", "counter", "Events the BPF programs produced, by type.");
	for (int t = 0; have_cnt && t < CCX_EV_MAX; t++) {
		fprintf(f, "ccexp_events_total{");
		put_label(f, "type", collect_event_name(t), true);
		fprintf(f, "} %llu\n", (unsigned long long)cnt[t].seen);
	}
	family(f, "ccexp_events_dropped_total", "counter",
	       "Events lost because the ring buffer was full, by type.");
	for (int t = 0; have_cnt && t < CCX_EV_MAX; t++) {
		fprintf(f, "ccexp_events_dropped_total{");
		put_label(f, "type", collect_event_name(t), true);
		fprintf(f, "} %llu\n", (unsigned long long)cnt[t].dropped);
	}
}

int watch_metrics_text(FILE *f, const struct watch_metrics_src *src)
{
	uint64_t open = 0;

	tcp_metrics(f, src);
	for (int i = 0; i < src->st->nconns; i++)
		open += !src->st->conns[i].closed;
	family(f, "ccexp_watch_connections", "gauge",
	       "Connections in watch's table (open ones, and closed ones kept for the results).");
	fprintf(f, "ccexp_watch_connections{");
	put_label(f, "cgroup", src->cgroup, true);
	fprintf(f, ",state=\"open\"} %llu\nccexp_watch_connections{", (unsigned long long)open);
	put_label(f, "cgroup", src->cgroup, true);
	fprintf(f, ",state=\"closed\"} %llu\n", (unsigned long long)(src->st->nconns - open));
	family(f, "ccexp_watch_untracked_events_total", "counter",
	       "Events of connections beyond watch's table, not counted above.");
	fprintf(f, "ccexp_watch_untracked_events_total %llu\n",
		(unsigned long long)src->st->untracked);
	if (src->col)
		own_metrics(f, src);
	return ferror(f) ? -EIO : 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, char *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req)
{
	struct watch_metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("GET only\n"), 9,
			     "text/plain");
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, strdup("see /metrics\n"), 13, "text/plain");
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (watch_metrics_text(f, &m->src) < 0) {
		fclose(f);
		free(body);
		return MHD_NO;
	}
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	return reply(conn, MHD_HTTP_OK, body, len, METRICS_CONTENT_TYPE);
}

int watch_metrics_start(struct watch_metrics **out, const struct sockaddr_storage *addr,
			const struct watch_metrics_src *src)
{
	struct watch_metrics *m = calloc(1, sizeof(*m));
	/* No thread: watch_metrics_run answers from watch's loop, which owns the state. */
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (!m)
		return -ENOMEM;
	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->src = *src;
	errno = 0;
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, addr,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT_S,
				MHD_OPTION_END);
	if (!m->d) {
		int err = errno ? -errno : -EADDRINUSE;

		free(m);
		return err;
	}
	*out = m;
	return 0;
}

int watch_metrics_fd(const struct watch_metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

void watch_metrics_run(struct watch_metrics *m)
{
	MHD_run(m->d);
}

void watch_metrics_stop(struct watch_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
