/* The files of a results folder that are written once the flows are done: flows.csv,
 * timeline/throughput.csv and meta.json. */
#include "run/results.h"
#include "run/hosts.h"
#include "core/csv.h"
#include "core/diagnosis.h"
#include "core/json.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/sys.h"
#include "ccx_version.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>

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

/* "SIGTERM" for 15; the number where the C library has no name. */
static const char *sig_name(int sig, char buf[24])
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, 24, "SIG%s", abbrev);
	else
		snprintf(buf, 24, "%d", sig);
	return buf;
}

static void put_exit(struct csv *f, const struct flow_proc *p)
{
	char sig[24];

	if (p && p->ended && WIFEXITED(p->status))
		csv_u64(f, WEXITSTATUS(p->status));
	else
		csv_str(f, "");
	if (p && p->ended && WIFSIGNALED(p->status))
		csv_str(f, sig_name(WTERMSIG(p->status), sig));
	else
		csv_str(f, "");
}

/* A cmd flow's program, said in a few words when it failed; NULL when it did not. A
 * program ccexp stopped (at the end of an interrupted or overlong run) did not fail. */
static const char *proc_failure(const struct flow_proc *p, char *buf, size_t len)
{
	char sig[24];

	if (!p || !p->ended || p->term_sent)
		return NULL;
	if (WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0)
		return NULL;
	if (WIFEXITED(p->status))
		snprintf(buf, len, "exited with status %d%s", WEXITSTATUS(p->status),
			 WEXITSTATUS(p->status) == 127 ? " (command not found)" : "");
	else
		snprintf(buf, len, "was killed by %s", sig_name(WTERMSIG(p->status), sig));
	return buf;
}

/* What limited the connection (docs/diagnosis.md): the sender's chrono accounting at close,
 * or at its latest sample; empty where the run saw no established sender. */
static void put_why(struct csv *f, const struct experiment *exp, uint32_t flow_id,
		    const struct conn_track *t, const struct sender_result *s,
		    const struct collector *c)
{
	const struct flow_spec *fs = &exp->flows[flow_id];
	struct diag_ms d = {0};
	char verdict[192];
	double pct;

	if (!t || !collect_why_ms(c, t, &d.life_ms, &d.busy_ms, &d.rwnd_ms, &d.sndbuf_ms)) {
		for (int i = 0; i < 10; i++)
			csv_str(f, "");
		return;
	}
	d.retrans = s && s->connected ? s->total_retrans : t->final_total_retrans;
	if (fs->sockops.sides[CCX_KNOB_RCVBUF] & CCX_SIDES_RECEIVER)
		d.rcvbuf_bytes = (uint64_t)fs->sockops.value[CCX_KNOB_RCVBUF];
	if (fs->sockops.sides[CCX_KNOB_SNDBUF] & CCX_SIDES_SENDER)
		d.sndbuf_bytes = (uint64_t)fs->sockops.value[CCX_KNOB_SNDBUF];
	csv_double(f, d.busy_ms, 3);
	csv_double(f, d.rwnd_ms, 3);
	csv_double(f, d.sndbuf_ms, 3);
	csv_double(f, diag_cwnd_ms(&d), 3);
	csv_double(f, diag_idle_ms(&d), 3);
	csv_u64(f, t->dsack_dups);
	csv_u64(f, t->reord_seen);
	csv_u64(f, t->delivered_ce);
	csv_str(f, diag_limit_name(diag_classify(&d, &pct)));
	diag_verdict(&d, verdict, sizeof(verdict));
	csv_str(f, verdict);
}

/* The order of the retrans_<cause> columns of flows.csv. */
static const uint32_t retrans_cause_order[CCX_RETRANS_CAUSES] = {
    CCX_RETRANS_FAST, CCX_RETRANS_RTO, CCX_RETRANS_TLP, CCX_RETRANS_OTHER};

/* One row per connection: what the BPF program saw of it (any program's connection),
 * completed with what the built-in sender read from its own socket where there is one.
 * A cmd flow of which no connection was seen gets one row with an empty conn. */
static int write_flow_row(struct csv *f, const struct experiment *exp, const struct traffic *tr,
			  const struct collector *c, uint32_t flow_id, const struct conn_track *t,
			  const struct sender_result *s)
{
	const struct flow_spec *fs = &exp->flows[flow_id];
	const struct flow_proc *proc = traffic_proc(tr, (int)flow_id, true);
	char why[96];
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
	if (t || s)
		csv_u64(f, t ? (uint64_t)t->index : s->index);
	else
		csv_str(f, "");
	csv_str(f, s && s->cc[0] ? s->cc : fs->cc);
	if (t || s)
		csv_u64(f, t ? t->client_port : s->client_port);
	else
		csv_str(f, "");
	csv_u64(f, t && t->server_port ? t->server_port : CCX_PORT_BASE + flow_id);
	csv_double(f, start, 6);
	csv_double(f, end, 6);
	csv_u64(f, bytes);
	csv_double(f, end > start ? bytes * 8 / (end - start) / 1e6 : NAN, 3);
	/* The kernel's own total_retrans: from the sender's TCP_INFO, else from the snapshot
	 * the BPF program took at CLOSE. */
	csv_u64(f, s && s->connected ? s->total_retrans : t ? t->final_total_retrans : 0);
	/* With level "none" the program asks for no RTO/retransmission callbacks: not 0 but
	 * unknown. */
	if (exp->collect.level == COLLECT_NONE) {
		for (int i = 0; i < 2 + CCX_RETRANS_CAUSES; i++)
			csv_str(f, "");
	} else {
		csv_u64(f, t ? t->retrans_segs : 0);
		csv_u64(f, t ? t->rtos : 0);
		for (int i = 0; i < CCX_RETRANS_CAUSES; i++)
			csv_u64(f, t ? t->retrans_cause_segs[retrans_cause_order[i]] : 0);
	}
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
	else if (!t && !s && proc_failure(proc, why, sizeof(why)))
		csv_str(f, "program failed");
	else if (!t && !s)
		csv_str(f, "no tcp connection");
	else if (!s && t && !t->established)
		csv_str(f, "not connected");
	else if (!s && proc_failure(proc, why, sizeof(why)))
		csv_str(f, "program failed");
	else if (!s && t && isnan(t->close_t_s))
		csv_str(f, "not closed");
	else
		csv_str(f, "ok");
	put_exit(f, proc);
	put_why(f, exp, flow_id, t, s, c);
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
					   "retrans_fast",
					   "retrans_rto",
					   "retrans_tlp",
					   "retrans_other",
					   "srtt_mean_ms",
					   "srtt_min_ms",
					   "srtt_max_ms",
					   "connect_ms",
					   "cwnd_at_connect_pkts",
					   "rto_at_connect_ms",
					   "status",
					   "exit_code",
					   "exit_signal",
					   "busy_ms",
					   "rwnd_limited_ms",
					   "sndbuf_limited_ms",
					   "cwnd_limited_ms",
					   "app_limited_ms",
					   "spurious_retrans",
					   "reordering_seen",
					   "delivered_ce",
					   "limit",
					   "verdict",
					   NULL};
	char path[PATH_MAX];
	struct csv f;
	int r = 0;

	r = path_fmt(path, sizeof(path), "%s/flows.csv", outdir);
	if (!r)
		r = csv_open(&f, path, cols);
	if (r < 0)
		return log_err_errno(r, "create %s", path);
	for (int fl = 0; fl < exp->nflows && r == 0; fl++) {
		int k;

		/* Connections in connect order, then built-in ones that never connected. */
		for (k = 0; r == 0; k++) {
			const struct conn_track *t = NULL;

			for (int i = 0; i < c->nconns; i++)
				if (c->conns[i].flow_id == (uint32_t)fl && c->conns[i].index == k)
					t = &c->conns[i];
			if (!t)
				break;
			r = write_flow_row(&f, exp, tr, c, (uint32_t)fl, t,
					   find_sender(tr, t->flow_id, t->client_port));
		}
		for (int i = 0; i < tr->nconns && r == 0; i++) {
			const struct sender_result *s = &tr->snd[i];

			if (s->flow_id == (uint32_t)fl && !exp->flows[fl].cmd[0] &&
			    (!s->connected || !find_track(c, s->flow_id, s->client_port)))
				r = write_flow_row(&f, exp, tr, c, (uint32_t)fl, NULL, s);
		}
		/* A program that made no connection the run saw still has its row. */
		if (k == 0 && exp->flows[fl].cmd[0] && r == 0)
			r = write_flow_row(&f, exp, tr, c, (uint32_t)fl, NULL, NULL);
	}
	int cr = csv_close(&f);

	return r < 0 ? r : cr;
}

int results_flow_problem(const struct experiment *exp, const struct collector *c,
			 const struct traffic *tr, char *why, size_t len)
{
	char how[96];

	for (int fl = 0; fl < exp->nflows; fl++) {
		const struct flow_spec *fs = &exp->flows[fl];
		const char *what = fs->cmd[0] ? "its program (cmd)" : "its sender";
		int seen = 0;

		if (proc_failure(traffic_proc(tr, fl, true), how, sizeof(how))) {
			snprintf(why, len, "flow %s: %s %s", fs->name, what, how);
			return -EIO;
		}
		if (proc_failure(traffic_proc(tr, fl, false), how, sizeof(how))) {
			snprintf(why, len, "flow %s: %s %s", fs->name,
				 fs->cmd[0] ? "its server_cmd" : "its receiver", how);
			return -EIO;
		}
		for (int i = 0; c && i < c->nconns; i++) {
			const struct conn_track *t = &c->conns[i];

			if (t->flow_id != (uint32_t)fl)
				continue;
			seen++;
			if (fs->cmd[0] && !t->established) {
				snprintf(why, len,
					 "flow %s: connection %d to port %d never connected",
					 fs->name, t->index, CCX_PORT_BASE + fl);
				return -ENOTCONN;
			}
		}
		/* A program that never tried TCP (a UDP probe, say) is judged by its exit
		 * status alone: every TCP connect() is seen, so a client that tried and
		 * found nothing listening fails above. */
		if (fs->cmd[0] && !seen)
			log_info("flow %s: %s opened no TCP connection to port %d", fs->name, what,
				 CCX_PORT_BASE + fl);
		for (int i = 0; !fs->cmd[0] && i < tr->nconns; i++) {
			const struct sender_result *snd = &tr->snd[i];

			if (snd->flow_id == (uint32_t)fl && !snd->connected) {
				snprintf(why, len, "flow %s: connection %u could not connect: %s",
					 fs->name, snd->index,
					 snd->error ? strerror(snd->error) : "not started");
				return -ENOTCONN;
			}
		}
	}
	return 0;
}

static void write_exit(struct json *j, const char *key, const struct flow_proc *p)
{
	char sig[24];

	json_key(j, key);
	if (!p) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	if (p->ended && WIFEXITED(p->status))
		json_kv_int(j, "exit_code", WEXITSTATUS(p->status));
	else
		json_kv_null(j, "exit_code");
	if (p->ended && WIFSIGNALED(p->status))
		json_kv_str(j, "exit_signal", sig_name(WTERMSIG(p->status), sig));
	else
		json_kv_null(j, "exit_signal");
	json_kv_bool(j, "stopped_by_ccexp", p->term_sent);
	json_object_end(j);
}

int results_write_throughput(const char *outdir, const struct experiment *exp, struct collector *c)
{
	int r;

	(void)exp;
	/* The collector wrote the intervals as they left its window; the rest are written now. */
	r = collect_finish_goodput(c);
	if (r < 0)
		return log_err_errno(r, "write %s/timeline/throughput.csv", outdir);
	return 0;
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

/* Which charts were drawn and which were not, with why. */
static void write_charts(struct json *j, const struct plot_report *rep)
{
	json_key(j, "charts");
	json_object_begin(j);
	json_key(j, "drawn");
	json_array_begin(j);
	for (int i = 0; i < rep->n; i++)
		if (rep->chart[i].drawn)
			json_strf(j, "plots/%s.png", rep->chart[i].name);
	json_array_end(j);
	json_key(j, "failed");
	json_array_begin(j);
	for (int i = 0; i < rep->n; i++) {
		if (rep->chart[i].drawn)
			continue;
		json_object_begin(j);
		json_kv_str(j, "chart", rep->chart[i].name);
		json_kv_str(j, "reason", rep->chart[i].reason);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

int results_write_meta(const struct run_info *info, const struct experiment *exp,
		       const struct collector *c, const struct traffic *tr)
{
	char path[PATH_MAX], when[64], sig[24], *doc = NULL;
	size_t doc_len = 0;
	struct utsname uts;
	struct json j;
	FILE *mem;
	int r;

	r = path_fmt(path, sizeof(path), "%s/meta.json", info->outdir);
	if (r < 0)
		return log_err_errno(r, "%s/meta.json", info->outdir);
	/* Built in memory, then replaced whole: a full disk leaves the last meta.json as it
	 * was, never a cut one, and the error is the one the write got. */
	mem = open_memstream(&doc, &doc_len);
	if (!mem)
		return log_err_errno(-errno, "build %s", path);
	json_init(&j, mem);
	uname(&uts);
	json_object_begin(&j);
	json_kv_int(&j, "format_version", CCX_FORMAT_VERSION);
	json_kv_str(&j, "name", exp->name);
	json_kv_str(&j, "run_id", info->run_id);
	json_kv_str(&j, "status", info->status);
	if (info->error)
		json_kv_str(&j, "error", info->error);
	if (info->signal)
		json_kv_str(&j, "signal", sig_name(info->signal, sig));
	json_kv_str(&j, "config", info->config_path);
	{
		/* Which machine ran it: sweep folders merged from several hosts keep it. */
		char host[256] = "";

		gethostname(host, sizeof(host) - 1);
		json_kv_str(&j, "host", host);
	}
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
	hosts_write_meta(&j, exp, info->topo);

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
		/* Applied by the link (only tun accepts a nonzero one): the flow's base RTT. */
		json_kv_double(&j, "extra_delay_ms", fs->extra_delay_ms);
		json_kv_double(&j, "extra_delay_down_ms", fs->extra_delay_down_ms);
		/* How the flow's processes ended: the sender or cmd, the receiver or server_cmd. */
		write_exit(&j, "client_process", tr ? traffic_proc(tr, i, true) : NULL);
		write_exit(&j, "server_process", tr ? traffic_proc(tr, i, false) : NULL);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_int(&j, "connections", tr ? tr->nconns : 0);
	json_key(&j, "collect");
	json_object_begin(&j);
	json_kv_str(&j, "level", collect_level_name(exp->collect.level));
	json_kv_int(&j, "sample_interval_ms", exp->collect.sample_interval_ms);
	json_kv_bool(&j, "rtt_samples", exp->collect.rtt_samples);
	json_object_end(&j);
	write_events(&j, info, c);
	json_object_end(&j);
	r = json_finish(&j);
	if (fclose(mem) != 0 && !r)
		r = -errno;
	if (!r)
		r = path_replace_file(path, doc, doc_len);
	free(doc);
	if (r < 0)
		return log_err_errno(r, "write %s", path);
	return 0;
}

int results_meta_edit(const char *outdir, int (*edit)(const char *meta, struct json *j, void *arg),
		      void *arg)
{
	char path[PATH_MAX], *meta = NULL, *members = NULL, *out = NULL;
	size_t members_len = 0;
	struct json j;
	ssize_t len;
	FILE *mem;
	int r;

	r = path_fmt(path, sizeof(path), "%s/meta.json", outdir);
	if (r < 0)
		return r;
	len = path_read_whole(path, RESULTS_META_MAX_BYTES, &meta);
	if (len < 0)
		return (int)len;
	mem = open_memstream(&members, &members_len);
	if (!mem) {
		free(meta);
		return -errno;
	}
	json_init(&j, mem);
	json_object_begin(&j);
	r = edit(meta, &j, arg);
	json_object_end(&j);
	if (r == 0)
		r = json_finish(&j);
	if (fclose(mem) != 0 && r == 0)
		r = -errno;
	if (r == 0)
		r = json_doc_set(meta, members, "status", &out);
	if (r == 0)
		r = path_replace_file(path, out, strlen(out));
	free(meta);
	free(members);
	free(out);
	return r;
}

/* The charts member, and the status that goes with it: a run whose data are whole is
 * `complete` with every chart drawn, else `charts_failed`; other statuses stay. */
static int edit_charts(const char *meta, struct json *j, void *arg)
{
	const struct plot_report *rep = arg;
	char status[32];

	if (json_doc_get_str(meta, "status", status, sizeof(status)) < 0)
		return -EINVAL; /* not a meta.json ccexp wrote */
	if (!strcmp(status, "complete") || !strcmp(status, "charts_failed"))
		json_kv_str(j, "status", plot_report_failed(rep) ? "charts_failed" : "complete");
	write_charts(j, rep);
	return 0;
}

int results_update_charts(const char *outdir, const struct plot_report *rep)
{
	return results_meta_edit(outdir, edit_charts, (void *)rep);
}

int results_spare_keep(const char *outdir, char *path, size_t len)
{
	int fd, r;

	path[0] = '\0';
	r = path_fmt(path, len, "%s/" RUN_META_SPARE, outdir);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = fd < 0 ? errno : posix_fallocate(fd, 0, RESULTS_META_SPARE_BYTES);
	if (fd >= 0)
		close(fd);
	if (r) {
		if (fd >= 0)
			unlink(path);
		path[0] = '\0';
		return -r;
	}
	return 0;
}

bool results_spare_release(char *path)
{
	if (!path[0])
		return false;
	unlink(path);
	path[0] = '\0';
	return true;
}

int results_update_charts_spare(const char *outdir, const struct plot_report *rep, char *spare)
{
	int r = results_update_charts(outdir, rep);

	if ((r == -ENOSPC || r == -EDQUOT) && results_spare_release(spare))
		r = results_update_charts(outdir, rep);
	return r;
}
