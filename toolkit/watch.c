/* `ccexp watch`: follows the TCP connections of an existing cgroup without changing them; a
 * live table on a terminal, and with -o the results folder of a run. */
#include "commands.h"
#include "watch_metrics.h"
#include "watch_state.h"
#include "analysis/plot.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "core/diagnosis.h"
#include "core/json.h"
#include "core/knobs.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/collect.h"
#include "kernel/kernel.h"
#include "kernel/sys.h"
#include "run/flows.h"
#include "run/results.h"
#include "kernel/topology.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC	   0x63677270
#define WATCH_MAX_NETNS	   256
#define WATCH_SAMPLE_MS	   100 /* timeline interval: a tenth of a run's default cost */
#define WATCH_RINGBUF_KB   8192
#define WATCH_TABLE_MIN_MS 100

static volatile sig_atomic_t watch_signal;

static void on_signal(int sig)
{
	watch_signal = sig;
}

struct watch_opts {
	const char *cgroup;
	const char *outdir;
	double duration_s; /* 0: until a signal */
	int interval_ms;
	bool verbose;
	const char *metrics; /* [ADDR:]PORT, NULL: no endpoint */
	struct sockaddr_storage metrics_addr;
};

struct watch {
	struct watch_opts o;
	char cgroup[PATH_MAX]; /* absolute */
	uint64_t cgroup_id;
	int cgroup_level;
	int netns_fds[WATCH_MAX_NETNS];
	int nns;
	struct experiment *exp;
	struct watch_state st;
	struct collector col;
	char run_id[64];
	int hz;
	const char *hz_source;
	bool tty;
	struct collect_prog_stat progs[8]; /* the programs' cost, read before they go */
	/* With -o: only its state file, by which `ccexp cleanup` marks a killed watch's
	 * meta.json as it does a run's. */
	struct topology topo;
	int nprogs;
	struct watch_metrics *metrics;
};

static void watch_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp watch --cgroup PATH [-o DIR] [--duration S] [--interval MS]\n"
	    "                   [--metrics [ADDR:]PORT] [-v]\n"
	    "\n"
	    "Follows the TCP connections of the processes in an existing cgroup v2 (a service,\n"
	    "a container) without changing them: cwnd, RTT, retransmissions, RTOs and states,\n"
	    "from sockops callbacks and tracepoints. Connections already open are found too.\n"
	    "\n"
	    "  --cgroup PATH   the cgroup: its path, or relative to the cgroup2 mount as\n"
	    "                  /proc/PID/cgroup shows it (/system.slice/nginx.service);\n"
	    "                  `--cgroup /` watches the whole host\n"
	    "  -o DIR          write the results folder of a run there (meta.json, flows.csv,\n"
	    "                  events/, timeline/, plots/): `ccexp plot` and `compare` read it\n"
	    "  --duration S    stop after S seconds (default: at Ctrl-C or SIGTERM)\n"
	    "  --interval MS   refresh of the live table on a terminal (default 1000)\n"
	    "  --metrics [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	    "                  (ADDR 127.0.0.1 when left out; IPv6 in brackets)\n"
	    "  -v              without a terminal, one line per interval\n"
	    "\n"
	    "examples:\n"
	    "  ccexp watch --cgroup system.slice/nginx.service\n"
	    "  ccexp watch --cgroup /sys/fs/cgroup/unified/ccxw1 -o /tmp/w --duration 30\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccexp watch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	watch_usage(stderr);
	return CCX_EXIT_USAGE;
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(struct watch_opts *o, int argc, char **argv)
{
	double v;

	o->interval_ms = 1000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			watch_usage(stdout);
			return CCX_EXIT_OK;
		} else if (!strcmp(a, "-v")) {
			o->verbose = true;
		} else if (!strcmp(a, "--cgroup") && has_val) {
			o->cgroup = argv[++i];
		} else if (!strcmp(a, "-o") && has_val) {
			o->outdir = argv[++i];
		} else if (!strcmp(a, "--duration") && has_val) {
			if (!parse_num(argv[++i], 0.001, 86400, &o->duration_s))
				return usage_error("--duration %s: seconds, > 0 and <= 86400",
						   argv[i]);
		} else if (!strcmp(a, "--interval") && has_val) {
			if (!parse_num(argv[++i], WATCH_TABLE_MIN_MS, 3600000, &v))
				return usage_error("--interval %s: milliseconds, 100 .. 3600000",
						   argv[i]);
			o->interval_ms = (int)v;
		} else if (!strcmp(a, "--metrics") && has_val) {
			o->metrics = argv[++i];
			if (watch_metrics_parse(o->metrics, &o->metrics_addr) < 0)
				return usage_error(
				    "--metrics %s: [ADDR:]PORT, ADDR an IPv4 address "
				    "or an IPv6 one in brackets, PORT 1 .. 65535",
				    o->metrics);
		} else {
			return usage_error("%s: unknown argument, or its value is missing", a);
		}
	}
	if (!o->cgroup)
		return usage_error("%s",
				   "name the cgroup to watch with --cgroup PATH (`--cgroup /` "
				   "for the whole host)");
	return -1;
}

/* The cgroup's absolute path, id (its inode on cgroup2) and depth below the root. */
static int resolve_cgroup(struct watch *w)
{
	char mount[PATH_MAX], joined[PATH_MAX * 2];
	const char *p = w->o.cgroup;
	struct statfs sfs;
	struct stat st;
	size_t mlen;
	int r;

	r = cgroup2_mount(mount, sizeof(mount));
	if (r < 0)
		return log_err_errno(r, "find the cgroup2 mount");
	mlen = strlen(mount);
	if (!strcmp(p, "/"))
		p = mount;
	else if (p[0] != '/' || strncmp(p, mount, mlen) || (p[mlen] && p[mlen] != '/')) {
		snprintf(joined, sizeof(joined), "%s/%s", mount, p[0] == '/' ? p + 1 : p);
		p = joined;
	}
	if (!realpath(p, w->cgroup))
		return log_err_errno(-errno, "--cgroup %s: %s", w->o.cgroup, p);
	if (stat(w->cgroup, &st) < 0 || !S_ISDIR(st.st_mode) || statfs(w->cgroup, &sfs) < 0 ||
	    sfs.f_type != CGROUP2_MAGIC || strncmp(w->cgroup, mount, mlen))
		return log_err_errno(-ENOTDIR, "--cgroup %s: %s is not a cgroup v2 (mounted at %s)",
				     w->o.cgroup, w->cgroup, mount);
	w->cgroup_id = st.st_ino;
	w->cgroup_level = 0;
	for (const char *c = w->cgroup + mlen; *c; c++)
		if (*c == '/' && c[1])
			w->cgroup_level++;
	if (!w->cgroup[mlen] || !strcmp(w->cgroup + mlen, "/"))
		log_err("warning: --cgroup /: watching every TCP connection of the host");
	return 0;
}

/* The network namespaces of the cgroup's processes (and its children's): the iterator sees
 * one namespace at a time. */
static void add_netns_of_procs(struct watch *w, const char *dir, struct stat *seen, int depth)
{
	char path[PATH_MAX + 32], line[32];
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f) && w->nns < WATCH_MAX_NETNS) {
		char ns[64];
		struct stat st;
		int fd, k;

		snprintf(ns, sizeof(ns), "/proc/%d/ns/net", atoi(line));
		fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0) {
			close(fd);
			continue;
		}
		for (k = 0; k < w->nns; k++)
			if (seen[k].st_ino == st.st_ino && seen[k].st_dev == st.st_dev)
				break;
		if (k < w->nns) {
			close(fd);
			continue;
		}
		seen[w->nns] = st;
		w->netns_fds[w->nns++] = fd;
	}
	if (f)
		fclose(f);
	if (depth > 16 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			add_netns_of_procs(w, path, seen, depth + 1);
		}
	closedir(d);
}

static void find_netns(struct watch *w)
{
	struct stat *seen = calloc(WATCH_MAX_NETNS, sizeof(*seen));
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat st;

	/* The own namespace first: the whole host's cgroup holds processes of every one. */
	if (seen && self >= 0 && fstat(self, &st) == 0) {
		seen[0] = st;
		w->netns_fds[w->nns++] = self;
	} else if (self >= 0) {
		close(self);
	}
	if (seen)
		add_netns_of_procs(w, w->cgroup, seen, 0);
	free(seen);
}

/* The experiment a watch's results describe: no flows until server ports are seen. */
static int make_experiment(struct watch *w)
{
	w->exp = calloc(1, sizeof(*w->exp));
	if (!w->exp)
		return -ENOMEM;
	snprintf(w->exp->name, sizeof(w->exp->name), "watch");
	w->exp->duration_s = w->o.duration_s;
	w->exp->collect.level = COLLECT_DEFAULT;
	w->exp->collect.sample_interval_ms = WATCH_SAMPLE_MS;
	w->exp->collect.ringbuf_kb = WATCH_RINGBUF_KB;
	w->exp->repeat = 1;
	return 0;
}

static int cmp_goodput(const void *a, const void *b)
{
	const struct watch_conn *x = *(const struct watch_conn *const *)a;
	const struct watch_conn *y = *(const struct watch_conn *const *)b;

	if (x->closed != y->closed)
		return x->closed ? 1 : -1;
	return (x->goodput_mbit < y->goodput_mbit) - (x->goodput_mbit > y->goodput_mbit);
}

static const char *state_short(uint8_t s)
{
	static const char *const n[] = {
	    "?",     "ESTAB",	   "SYN-SENT", "SYN-RECV", "FIN-WAIT1", "FIN-WAIT2", "TIME-WAIT",
	    "CLOSE", "CLOSE-WAIT", "LAST-ACK", "LISTEN",   "CLOSING",	"NEW-SYN"};

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

/* The verdict of docs/diagnosis.md, short: "cwnd 93%". A connection found open has chronos
 * from before watch and no known life, so it is judged on its busy time only. */
static void conn_limit(const struct watch_conn *c, int hz, char *buf, size_t len)
{
	struct diag_ms d = {0};
	enum diag_limit l;
	double pct;

	d.busy_ms = 1e3 * (chrono_jiffies_s(c->chrono_j[WATCH_LIMIT_CWND], hz) +
			   chrono_jiffies_s(c->chrono_j[WATCH_LIMIT_RWND], hz) +
			   chrono_jiffies_s(c->chrono_j[WATCH_LIMIT_SNDBUF], hz));
	d.rwnd_ms = 1e3 * chrono_jiffies_s(c->chrono_j[WATCH_LIMIT_RWND], hz);
	d.sndbuf_ms = 1e3 * chrono_jiffies_s(c->chrono_j[WATCH_LIMIT_SNDBUF], hz);
	d.life_ms = c->existing ? NAN : 1e3 * (c->last_t_s - c->first_t_s);
	l = c->have_chrono ? diag_classify(&d, &pct) : DIAG_NONE;
	if (l == DIAG_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s %.0f%%", diag_limit_name(l), pct);
}

/* Like top: the busiest open connections first, as many as the terminal holds. */
static void draw_table(struct watch *w, double t_s)
{
	struct watch_state *s = &w->st;
	struct watch_conn **rows = malloc((s->nconns + 1) * sizeof(*rows));
	struct winsize ws = {0};
	int n = 0, open = 0, height = 24;
	uint64_t retrans = 0;

	if (!rows)
		return;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4)
		height = ws.ws_row;
	for (int i = 0; i < s->nconns; i++) {
		rows[n++] = &s->conns[i];
		open += !s->conns[i].closed;
		retrans += s->conns[i].retrans_segs;
	}
	qsort(rows, n, sizeof(*rows), cmp_goodput);
	printf("\033[H\033[2J");
	printf("ccexp watch %s  %.0f s  connections %d open %d closed  retransmitted segments "
	       "%llu\n\n",
	       w->cgroup, t_s, open, s->nconns - open, (unsigned long long)retrans);
	printf("%-44s %-7s %-6s %-10s %7s %9s %13s %8s %5s  %-11s\n", "CONNECTION (local > remote)",
	       "FLOW", "CC", "STATE", "CWND", "SRTT_MS", "GOODPUT_MBIT", "RETRANS", "RTOS",
	       "LIMIT");
	for (int i = 0; i < n && i < height - 4; i++) {
		const struct watch_conn *c = rows[i];
		char conn[160], limit[32];

		if (c->have_addr)
			snprintf(conn, sizeof(conn), "%s > %s", c->local, c->remote);
		else
			snprintf(conn, sizeof(conn), "cookie %llu", (unsigned long long)c->cookie);
		conn_limit(c, w->hz, limit, sizeof(limit));
		printf("%-44.44s %-7.7s %-6.6s %-10s %7u %9.2f %13.2f %8llu %5llu  %-11s%s\n", conn,
		       w->exp->flows[c->flow].name, c->cc[0] ? c->cc : "-",
		       c->closed ? "CLOSE" : state_short(c->state), c->cwnd_pkts, c->srtt_us / 1e3,
		       c->goodput_mbit, (unsigned long long)c->retrans_segs,
		       (unsigned long long)c->rtos, limit, c->existing ? " (open before)" : "");
	}
	fflush(stdout);
	free(rows);
}

static void print_line(struct watch *w, double t_s)
{
	struct watch_state *s = &w->st;
	uint64_t retrans = 0, rtos = 0;
	double mbit = 0;
	int open = 0;

	for (int i = 0; i < s->nconns; i++) {
		open += !s->conns[i].closed;
		retrans += s->conns[i].retrans_segs;
		rtos += s->conns[i].rtos;
		mbit += s->conns[i].goodput_mbit;
	}
	printf("t=%.1fs connections=%d open=%d retrans_segs=%llu rtos=%llu goodput_mbit=%.2f\n",
	       t_s, s->nconns, open, (unsigned long long)retrans, (unsigned long long)rtos, mbit);
	fflush(stdout);
}

/* The ring buffer and the metrics server in one wait, each served when it has work. */
static int poll_with_metrics(struct watch *w)
{
	struct pollfd pfd[2] = {{.fd = ring_buffer__epoll_fd(w->col.rb), .events = POLLIN},
				{.fd = watch_metrics_fd(w->metrics), .events = POLLIN}};
	int r;

	if (poll(pfd, 2, 100) < 0 && errno != EINTR)
		return -errno;
	r = collect_poll(&w->col, 0);
	watch_metrics_run(w->metrics);
	return r;
}

static int follow(struct watch *w)
{
	uint64_t t0 = w->col.t0_ns, next = t0 + (uint64_t)w->o.interval_ms * 1000000;
	int r;

	while (!watch_signal) {
		uint64_t now = sys_mono_ns();
		double t_s = (double)(now - t0) / 1e9;

		if (w->o.duration_s > 0 && t_s >= w->o.duration_s)
			break;
		r = w->metrics ? poll_with_metrics(w) : collect_poll(&w->col, 100);
		if (r < 0)
			return log_err_errno(r, "read the events");
		if (now >= next) {
			watch_state_tick(&w->st, t_s);
			if (w->tty)
				draw_table(w, t_s);
			else if (w->o.verbose)
				print_line(w, t_s);
			next += (uint64_t)w->o.interval_ms * 1000000;
			if (next < now)
				next = now + (uint64_t)w->o.interval_ms * 1000000;
		}
	}
	collect_poll(&w->col, 0);
	return 0;
}

/* A connection still open at the end has no CLOSE snapshot: its row takes the latest. */
static void close_open_rows(struct watch *w)
{
	for (int i = 0; i < w->col.nconns; i++) {
		struct conn_track *t = &w->col.conns[i];
		struct watch_conn *c = watch_state_conn(&w->st, t->cookie);

		if (!c || !isnan(t->close_t_s))
			continue;
		t->final_total_retrans = c->total_retrans;
		t->final_bytes_acked = c->bytes_acked;
		t->final_bytes_received = c->bytes_acked + c->bytes_received;
	}
}

static int edit_watch_meta(const char *meta, struct json *j, void *arg)
{
	struct watch *w = arg;
	uint64_t existing = 0;

	(void)meta;
	for (int i = 0; i < w->exp->nflows; i++)
		existing += w->st.flows[i].conns_existing;
	json_key(j, "watch");
	json_object_begin(j);
	json_kv_str(j, "cgroup", w->cgroup);
	json_kv_uint(j, "cgroup_id", w->cgroup_id);
	json_kv_int(j, "netns_walked", w->nns);
	json_kv_uint(j, "connections", (uint64_t)w->st.nconns);
	json_kv_uint(j, "connections_open_before", existing);
	json_kv_uint(j, "connections_untracked", w->st.untracked);
	json_kv_uint(j, "open_before_without_callbacks", w->col.existing_flags_refused);
	/* run_time_ns counts only while kernel.bpf_stats_enabled is 1 */
	json_key(j, "bpf_programs");
	json_object_begin(j);
	for (int i = 0; i < w->nprogs; i++) {
		json_key(j, w->progs[i].name);
		json_object_begin(j);
		json_kv_uint(j, "run_cnt", w->progs[i].run_cnt);
		json_kv_uint(j, "run_time_ns", w->progs[i].run_time_ns);
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);
	return 0;
}

/* compare groups runs by their saved config: a watch has none, so it saves what it watched
 * and for how long, in the config's syntax. */
static int write_config(struct watch *w, double duration_s)
{
	char path[PATH_MAX], text[PATH_MAX + 256];
	int n;

	if (path_fmt(path, sizeof(path), "%s/config.cfg", w->o.outdir) < 0)
		return -ENAMETOOLONG;
	n = snprintf(text, sizeof(text),
		     "# written by ccexp watch: the connections of a cgroup, no experiment run\n"
		     "experiment = { name = \"watch\"; duration_s = %.3f; };\n"
		     "watch = { cgroup = \"%s\"; };\n",
		     duration_s, w->cgroup);
	return path_replace_file(path, text, (size_t)n);
}

static int write_results(struct watch *w, struct run_info *info, const char *status)
{
	struct traffic tr = {0};
	int r;

	/* meta.json's duration: how long it watched. */
	w->exp->duration_s = (double)(sys_mono_ns() - w->col.t0_ns) / 1e9;
	r = write_config(w, w->exp->duration_s);
	if (r < 0)
		return log_err_errno(r, "write %s/config.cfg", w->o.outdir);
	info->status = status;
	info->end_wall = time(NULL);
	info->signal = watch_signal;
	info->config_path = "config.cfg";
	r = results_write_flows(w->o.outdir, w->exp, &w->col, &tr);
	if (!r)
		r = results_write_throughput(w->o.outdir, w->exp, &w->col);
	if (!r)
		r = results_write_meta(info, w->exp, &w->col, NULL);
	if (!r)
		r = results_meta_edit(w->o.outdir, edit_watch_meta, w);
	return r;
}

/* Without --duration a signal is how a watch ends: complete. With it, a signal before the
 * end cut the watch short. */
static const char *end_status(const struct watch *w, int r)
{
	if (r < 0)
		return "failed";
	return watch_signal && w->o.duration_s > 0 ? "interrupted" : "complete";
}

int cmd_watch(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct run_info info = {0};
	struct collect_watch cw = {0};
	struct watch *w = calloc(1, sizeof(*w));
	int code = CCX_EXIT_FAILURE, r;

	if (!w)
		return CCX_EXIT_FAILURE;
	code = parse_args(&w->o, argc, argv);
	if (code >= 0)
		goto out_free;
	code = CCX_EXIT_FAILURE;
	if (geteuid() != 0) {
		log_err("ccexp watch needs root (BPF programs and the cgroup attach)");
		goto out_free;
	}
	if (resolve_cgroup(w) < 0) {
		code = CCX_EXIT_USAGE;
		goto out_free;
	}
	if (make_experiment(w) < 0 || watch_state_init(&w->st, w->exp) < 0)
		goto out_free;
	if (kernel_hz(&w->hz, &w->hz_source) < 0)
		w->hz = 0;
	w->tty = isatty(1);
	topology_new_id(w->run_id, sizeof(w->run_id));
	info.run_id = w->run_id;
	info.outdir = w->o.outdir;
	info.config_path = "";
	info.hz = w->hz;
	info.hz_source = w->hz_source;
	info.start_wall = time(NULL);
	info.status = "running";
	if (w->o.outdir) {
		r = sys_mkdir_p(w->o.outdir, 0755);
		if (r < 0) {
			log_err_errno(r, "create %s", w->o.outdir);
			goto out_free;
		}
		if (topology_claim(&w->topo, w->run_id, w->o.outdir) < 0)
			goto out_free;
	}
	find_netns(w);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (w->o.metrics) {
		struct watch_metrics_src src = {
		    .cgroup = w->cgroup, .st = &w->st, .col = &w->col, .hz = w->hz};

		r = watch_metrics_start(&w->metrics, &w->o.metrics_addr, &src);
		if (r < 0) {
			log_err_errno(r, "--metrics %s: cannot listen there", w->o.metrics);
			goto out_ns;
		}
		log_info("metrics at http://%s%s/metrics",
			 strchr(w->o.metrics, ':') ? "" : WATCH_METRICS_DEFAULT_ADDR ":",
			 w->o.metrics);
	}
	cw.cgroup_id = w->cgroup_id;
	cw.cgroup_level = w->cgroup_level;
	cw.event = watch_state_event;
	cw.arg = &w->st;
	cw.netns_fds = w->netns_fds;
	cw.nns = w->nns;
	w->st.col = &w->col;
	r = collect_open_watch(&w->col, w->exp, w->hz, w->cgroup, w->o.outdir, &cw);
	if (r < 0)
		goto out_ns;
	if (w->o.outdir && results_write_meta(&info, w->exp, &w->col, NULL) < 0) {
		r = -EIO;
		goto out_col;
	}
	log_info("watching %s (Ctrl-C to stop)", w->cgroup);
	r = follow(w);
	info.have_counters = collect_counters(&w->col, info.counters) == 0;
	w->nprogs = collect_prog_stats(&w->col, w->progs, 8);
out_col:
	/* No scrape once the programs are gone: their counters went with them. */
	watch_metrics_stop(w->metrics);
	w->metrics = NULL;
	/* Detached before anything is written: nothing stays attached whatever follows. */
	if (collect_close(&w->col) < 0 && !r)
		r = -EIO;
	code = r < 0 ? CCX_EXIT_FAILURE : CCX_EXIT_OK;
	if (w->o.outdir) {
		close_open_rows(w);
		if (write_results(w, &info, end_status(w, r)) < 0)
			code = CCX_EXIT_FAILURE;
		collect_free(&w->col);
		struct plot_report rep;

		if (summary_write(w->o.outdir) < 0)
			log_err("the summary (summary.json, summary.csv) was not written");
		plot_run_dir_report(w->o.outdir, true, &rep);
		results_update_charts(w->o.outdir, &rep);
		report_write(w->o.outdir);
		printf("results: %s\n", w->o.outdir);
	} else {
		collect_free(&w->col);
	}
out_ns:
	watch_metrics_stop(w->metrics);
	for (int i = 0; i < w->nns; i++)
		close(w->netns_fds[i]);
	watch_state_free(&w->st);
out_free:
	topology_destroy(&w->topo);
	free(w->exp);
	free(w);
	return code;
}
