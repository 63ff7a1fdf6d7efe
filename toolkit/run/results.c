/* The files of a results folder that are written once the flows are done: flows.csv,
 * timeline/throughput.csv and meta.json. */
#include "run/results.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/log.h"
#include "core/stats.h"
#include "kernel/sys.h"
#include "ccx_version.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static const struct conn_track *find_track(const struct collector *c, uint32_t flow_id,
					   uint16_t port)
{
	for (int i = 0; c && i < c->nconns; i++)
		if (c->conns[i].flow_id == flow_id && c->conns[i].client_port == port)
			return &c->conns[i];
	return NULL;
}

static const struct receiver_result *find_receiver(const struct traffic *tr, uint32_t flow_id,
						   uint16_t port)
{
	for (int i = 0; i < tr->nconns; i++)
		if (tr->rcv[i].flow_id == flow_id && tr->rcv[i].client_port == port &&
		    tr->rcv[i].client_port)
			return &tr->rcv[i];
	return NULL;
}

static const struct sender_result *find_sender(const struct traffic *tr, uint32_t flow_id,
					       uint16_t port)
{
	for (int i = 0; i < tr->nconns; i++)
		if (tr->snd[i].flow_id == flow_id && tr->snd[i].client_port == port &&
		    tr->snd[i].connected)
			return &tr->snd[i];
	return NULL;
}

static void put_ms(struct csv *f, double us)
{
	csv_double(f, us / 1e3, 3);
}

/* One row per connection: what the BPF program saw of it (any program's connection),
 * completed with what the built-in sender read from its own socket where there is one. */
static int write_flow_row(struct csv *f, const struct experiment *exp, const struct traffic *tr,
			  const struct conn_track *t, const struct sender_result *s)
{
	uint32_t flow_id = t ? t->flow_id : s->flow_id;
	const struct flow_spec *fs = &exp->flows[flow_id];
	const struct receiver_result *rcv = NULL;
	double start = NAN, end = NAN;
	uint64_t bytes = 0;

	if (s && s->connected) {
		start = s->connect_start_s;
		end = s->end_s;
		rcv = find_receiver(tr, flow_id, s->client_port);
		bytes = rcv ? rcv->bytes : 0;
	} else if (t) {
		start = t->first_t_s;
		end = t->close_t_s;
		bytes = t->final_bytes_received;
	}
	csv_str(f, fs->name);
	csv_u64(f, t ? (uint64_t)t->index : s->index);
	csv_str(f, s && s->cc[0] ? s->cc : fs->cc);
	csv_u64(f, t ? t->client_port : s->client_port);
	csv_u64(f, CCX_PORT_BASE + flow_id);
	csv_double(f, start, 6);
	csv_double(f, end, 6);
	csv_u64(f, bytes);
	csv_double(f, end > start ? bytes * 8 / (end - start) / 1e6 : NAN, 3);
	/* The kernel's own total_retrans: from the sender's TCP_INFO, else from the snapshot
	 * the BPF program took at CLOSE. */
	csv_u64(f, s && s->connected ? s->total_retrans : t ? t->final_total_retrans : 0);
	csv_u64(f, t ? t->retrans_segs : 0);
	csv_u64(f, t ? t->rtos : 0);
	if (t && t->srtt_n) {
		put_ms(f, t->srtt_sum_us / t->srtt_n);
		put_ms(f, t->srtt_min_us);
		put_ms(f, t->srtt_max_us);
	} else {
		csv_str(f, "");
		csv_str(f, "");
		csv_str(f, "");
	}
	if (s && s->connected) {
		csv_double(f, (s->connect_done_s - s->connect_start_s) * 1e3, 3);
		csv_u64(f, s->connect_snd_cwnd);
		put_ms(f, s->connect_rto_us);
	} else {
		csv_str(f, "");
		csv_str(f, "");
		csv_str(f, "");
	}
	if (s && !s->connected)
		csv_str(f, s->error ? strerror(s->error) : "not started");
	else if (s && s->error)
		csv_str(f, strerror(s->error));
	else if (!s && t && isnan(t->close_t_s))
		csv_str(f, "not closed");
	else
		csv_str(f, "ok");
	return csv_end_row(f);
}

int results_write_flows(const char *outdir, const struct experiment *exp, const struct collector *c,
			const struct traffic *tr)
{
	static const char *const cols[] = {"flow",
					   "conn",
					   "cc",
					   "client_port",
					   "server_port",
					   "start_s",
					   "end_s",
					   "bytes",
					   "goodput_mbit",
					   "retrans",
					   "retrans_seen",
					   "rtos",
					   "srtt_mean_ms",
					   "srtt_min_ms",
					   "srtt_max_ms",
					   "connect_ms",
					   "cwnd_at_connect_pkts",
					   "rto_at_connect_ms",
					   "status",
					   NULL};
	char path[PATH_MAX];
	struct csv f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/flows.csv", outdir);
	r = csv_open(&f, path, cols);
	if (r < 0)
		return log_err_errno(r, "create %s", path);
	for (int fl = 0; fl < exp->nflows && r == 0; fl++) {
		/* Connections in connect order, then built-in ones that never connected. */
		for (int k = 0; r == 0; k++) {
			const struct conn_track *t = NULL;

			for (int i = 0; i < c->nconns; i++)
				if (c->conns[i].flow_id == (uint32_t)fl && c->conns[i].index == k)
					t = &c->conns[i];
			if (!t)
				break;
			r = write_flow_row(&f, exp, tr, t,
					   find_sender(tr, t->flow_id, t->client_port));
		}
		for (int i = 0; i < tr->nconns && r == 0; i++) {
			const struct sender_result *s = &tr->snd[i];

			if (s->flow_id == (uint32_t)fl && !exp->flows[fl].cmd[0] &&
			    (!s->connected || !find_track(c, s->flow_id, s->client_port)))
				r = write_flow_row(&f, exp, tr, NULL, s);
		}
	}
	int cr = csv_close(&f);

	return r < 0 ? r : cr;
}

int results_write_throughput(const char *outdir, const struct experiment *exp,
			     const struct collector *c)
{
	static const char *const cols[] = {"t_s", "flow", "goodput_mbit", NULL};
	double dt = exp->collect.sample_interval_ms / 1000.0;
	double end = exp->duration_s;
	char path[PATH_MAX];
	struct csv f;
	long nbins;
	int r = 0;

	for (int i = 0; i < c->nconns; i++) {
		const struct conn_track *t = &c->conns[i];

		if (t->npoints && t->t_s[t->npoints - 1] > end)
			end = t->t_s[t->npoints - 1];
	}
	nbins = (long)ceil(end / dt - 1e-9);
	snprintf(path, sizeof(path), "%s/timeline/throughput.csv", outdir);
	r = csv_open(&f, path, cols);
	if (r < 0)
		return log_err_errno(r, "create %s", path);
	/* Each row is the interval (t_s - dt, t_s]: the difference of the interpolated
	 * cumulative bytes acked at its two ends, summed over the flow's connections. */
	for (long b = 0; b < nbins && r == 0; b++) {
		double from = b * dt, to = (b + 1) * dt;

		for (int fl = 0; fl < exp->nflows && r == 0; fl++) {
			double bytes = 0;

			for (int i = 0; i < c->nconns; i++) {
				const struct conn_track *t = &c->conns[i];

				if (t->flow_id != (uint32_t)fl || !t->npoints)
					continue;
				bytes += stats_cum_at(t->t_s, t->acked, t->npoints, to) -
					 stats_cum_at(t->t_s, t->acked, t->npoints, from);
			}
			csv_double(&f, to, 3);
			csv_str(&f, exp->flows[fl].name);
			csv_double(&f, bytes * 8 / dt / 1e6, 3);
			r = csv_end_row(&f);
		}
	}
	int cr = csv_close(&f);

	return r < 0 ? r : cr;
}

static const char *const recorded_sysctls[] = {
    "net/ipv4/tcp_congestion_control",
    "net/ipv4/tcp_available_congestion_control",
    "net/ipv4/tcp_allowed_congestion_control",
    "net/ipv4/tcp_ecn",
    "net/ipv4/tcp_rmem",
    "net/ipv4/tcp_wmem",
    "net/ipv4/tcp_mem",
    "net/ipv4/tcp_pacing_ss_ratio",
    "net/ipv4/tcp_pacing_ca_ratio",
    "net/ipv4/tcp_sack",
    "net/ipv4/tcp_timestamps",
    "net/ipv4/tcp_window_scaling",
    "net/ipv4/tcp_slow_start_after_idle",
    "net/ipv4/tcp_no_metrics_save",
    "net/ipv4/tcp_notsent_lowat",
    "net/ipv4/tcp_min_rtt_wlen",
    "net/core/default_qdisc",
    "net/core/rmem_max",
    "net/core/wmem_max",
    NULL,
};

static void iso_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_sysctls(struct json *j, const struct topology *topo)
{
	json_key(j, "sysctls");
	json_object_begin(j);
	for (int i = 0; recorded_sysctls[i]; i++) {
		char key[128], val[512];
		const char *ns = topo && topo->have_ns[0] ? topo->ns_sender : NULL;

		/* These two exist only in the host's initial namespace. */
		if (!strcmp(recorded_sysctls[i], "net/ipv4/tcp_mem") ||
		    !strcmp(recorded_sysctls[i], "net/core/default_qdisc"))
			ns = NULL;

		snprintf(key, sizeof(key), "%s", recorded_sysctls[i]);
		for (char *p = key; *p; p++)
			if (*p == '/')
				*p = '.';
		/* As the sender host sees them: many TCP sysctls are per network namespace. */
		if (sys_read_sysctl(ns, recorded_sysctls[i], val, sizeof(val)) == 0) {
			for (char *p = val; *p; p++)
				if (*p == '\t')
					*p = ' ';
			json_kv_str(j, key, val);
		} else {
			json_kv_null(j, key);
		}
	}
	json_object_end(j);
}

/* The TCP counters of one host's network namespace: /proc/net/snmp ("Tcp:") and
 * /proc/net/netstat ("TcpExt:") each hold a header line of names and a line of values. */
static void write_netstat(struct json *j, const char *host, const char *ns)
{
	static const char *const files[] = {"/proc/net/snmp", "/proc/net/netstat"};
	static const char *const groups[] = {"Tcp:", "TcpExt:"};
	static char buf[65536];

	json_key(j, host);
	json_object_begin(j);
	for (int i = 0; i < 2; i++) {
		char *names = NULL, *values = NULL, *save = NULL, *line;
		size_t glen = strlen(groups[i]);

		if (sys_read_in_netns(ns, files[i], buf, sizeof(buf)) < 0)
			continue;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, groups[i], glen) != 0)
				continue;
			if (!names)
				names = line + glen;
			else
				values = line + glen;
		}
		if (!names || !values)
			continue;
		char *ns_save = NULL, *vs_save = NULL;
		char *name = strtok_r(names, " ", &ns_save);
		char *value = strtok_r(values, " ", &vs_save);

		for (; name && value;
		     name = strtok_r(NULL, " ", &ns_save), value = strtok_r(NULL, " ", &vs_save)) {
			char key[96];

			snprintf(key, sizeof(key), "%.*s%s", (int)glen - 1, groups[i], name);
			json_kv_int(j, key, strtoll(value, NULL, 10));
		}
	}
	json_object_end(j);
}

static void write_events(struct json *j, const struct run_info *info, const struct collector *c)
{
	uint64_t dropped = 0, lost = 0;

	json_key(j, "events");
	json_object_begin(j);
	for (int k = 0; k < CCX_EV_MAX; k++) {
		json_key(j, collect_event_name(k));
		json_object_begin(j);
		if (info->have_counters) {
			json_kv_uint(j, "seen_in_bpf", info->counters[k].seen);
			json_kv_uint(j, "ringbuf_drops", info->counters[k].dropped);
			dropped += info->counters[k].dropped;
		} else {
			json_kv_null(j, "seen_in_bpf");
			json_kv_null(j, "ringbuf_drops");
		}
		json_kv_uint(j, "received", c ? c->received[k] : 0);
		json_kv_uint(j, "rows", c ? c->rows[k] : 0);
		if (info->have_counters && c && info->counters[k].seen > c->rows[k])
			lost += info->counters[k].seen - c->rows[k];
		json_object_end(j);
	}
	json_object_end(j);
	json_kv_uint(j, "events_dropped", dropped);
	json_kv_uint(j, "events_missing_rows", lost);
	json_kv_uint(j, "events_unmatched", c ? c->ignored : 0);
	json_kv_uint(j, "ringbuf_bytes", c ? c->ringbuf_bytes : 0);
}

int results_write_meta(const struct run_info *info, const struct experiment *exp,
		       const struct collector *c, const struct traffic *tr)
{
	char path[PATH_MAX], when[64];
	struct utsname uts;
	struct json j;
	int r;

	snprintf(path, sizeof(path), "%s/meta.json", info->outdir);
	r = json_open(&j, path);
	if (r < 0)
		return log_err_errno(r, "create %s", path);
	uname(&uts);
	json_object_begin(&j);
	json_kv_int(&j, "format_version", CCX_FORMAT_VERSION);
	json_kv_str(&j, "name", exp->name);
	json_kv_str(&j, "run_id", info->run_id);
	json_kv_str(&j, "status", info->status);
	if (info->error)
		json_kv_str(&j, "error", info->error);
	json_kv_str(&j, "config", info->config_path);
	json_kv_uint(&j, "seed", exp->seed);
	iso_time(when, sizeof(when), info->start_wall);
	json_kv_str(&j, "start", when);
	if (info->end_wall) {
		iso_time(when, sizeof(when), info->end_wall);
		json_kv_str(&j, "end", when);
	} else {
		json_kv_null(&j, "end");
	}
	json_kv_double(&j, "duration_s", exp->duration_s);

	json_key(&j, "versions");
	json_object_begin(&j);
	json_kv_str(&j, "ccexp", CCX_VERSION);
	json_kv_str(&j, "libbpf", libbpf_version_string());
	json_object_end(&j);

	json_key(&j, "kernel");
	json_object_begin(&j);
	json_kv_str(&j, "release", uts.release);
	json_kv_str(&j, "machine", uts.machine);
	json_kv_int(&j, "hz", info->hz);
	json_kv_str(&j, "hz_source", info->hz_source ? info->hz_source : "");
	json_object_end(&j);
	write_sysctls(&j, info->topo);

	json_key(&j, "topology");
	json_object_begin(&j);
	json_kv_str(&j, "prefix", info->topo ? info->topo->prefix : "");
	json_kv_str(&j, "sender", CCX_ADDR_SENDER);
	json_kv_str(&j, "receiver", CCX_ADDR_RECEIVER);
	json_kv_str(&j, "cgroup", info->topo ? info->topo->cgroup : "");
	json_object_end(&j);

	if (info->topo && info->topo->have_ns[0] && info->topo->have_ns[2]) {
		/* Per host: each has its own namespace, so these count the run's sockets only. */
		json_key(&j, "netstat");
		json_object_begin(&j);
		write_netstat(&j, "sender", info->topo->ns_sender);
		write_netstat(&j, "receiver", info->topo->ns_receiver);
		json_object_end(&j);
	}

	if (info->link)
		link_write_meta(&j, info->link, &exp->link);

	json_key(&j, "flows");
	json_array_begin(&j);
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];

		json_object_begin(&j);
		json_kv_str(&j, "name", fs->name);
		json_kv_str(&j, "cc", fs->cc);
		json_kv_str(&j, "cc_implementation", info->cc_impl[i] ? info->cc_impl[i] : "");
		json_kv_str(&j, "cc_registered", info->cc_name[i]);
		json_kv_int(&j, "count", fs->count);
		json_kv_double(&j, "start_s", fs->start_s);
		json_kv_double(&j, "stop_s", fs->stop_s);
		json_kv_int(&j, "server_port", CCX_PORT_BASE + i);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_int(&j, "connections", tr ? tr->nconns : 0);
	write_events(&j, info, c);
	json_object_end(&j);
	return json_close(&j);
}
