/* Integration test: the kernel applies what the sockops program is told (SYN RTO, initial
 * cwnd, initial receive window, congestion control), as the real sockets show it. */
#include "ccx_test.h"
#include "kernel/kernel.h"
#include "kernel/collect.h"
#include "core/knobs.h"
#include "kernel/sys.h"
#include "kernel/topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ACCEPT_DELAY_MS 100 /* the receiver frees its accept queue this long after the SYN */

struct probe {
	int error;
	double connect_ms;
	uint32_t syn_sent_state, syn_sent_rto_us;
	uint32_t cwnd_pkts, snd_wnd, snd_mss;
	char cc[16];
};

static double now_ms(void)
{
	return sys_mono_ns() / 1e6;
}

static void get_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* In a forked child: joins the run in the receiver's namespace, listens on `port` and
 * tells the parent through ready_fd. Returns the listening socket (exits on failure). */
static int listen_as_receiver(const struct topology *t, uint16_t port, int backlog, int ready_fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, lfd;

	if (topology_enter(t, t->ns_receiver) < 0)
		_exit(2);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, CCX_ADDR_RECEIVER, &a.sin_addr);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, backlog) < 0)
		_exit(3);
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	return lfd;
}

/* Receiver: a listener with backlog 0 holds one unaccepted connection, and the kernel
 * drops further SYNs while its accept queue is full. Accepting later lets a SYN
 * retransmission through, so the sender's connect time shows the SYN RTO it used. */
static void receiver(const struct topology *t, uint16_t port, int ready_fd, int go_fd)
{
	int lfd = listen_as_receiver(t, port, 0, ready_fd), c1, c2;
	char x;

	if (read(go_fd, &x, 1) != 1) /* the filler is queued and the probe's SYN was sent */
		_exit(5);
	usleep(ACCEPT_DELAY_MS * 1000);
	c1 = accept(lfd, NULL, NULL);
	c2 = accept(lfd, NULL, NULL);
	/* Hold both until the sender is done reading its TCP_INFO. */
	if (read(go_fd, &x, 1) < 0)
		_exit(6);
	close(c1);
	close(c2);
	_exit(0);
}

static void sender(const struct topology *t, uint16_t port, struct probe *p, int go_fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct pollfd pfd;
	struct tcp_info ti;
	socklen_t len;
	double start;
	int filler, fd;

	if (topology_enter(t, t->ns_sender) < 0)
		_exit(2);
	inet_pton(AF_INET, CCX_ADDR_RECEIVER, &a.sin_addr);
	filler = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(filler, (struct sockaddr *)&a, sizeof(a)) < 0) {
		p->error = errno;
		_exit(3);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	start = now_ms();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS) {
		p->error = errno ? errno : EALREADY;
		_exit(4);
	}
	usleep(20000);
	get_info(fd, &ti);
	p->syn_sent_state = ti.tcpi_state;
	p->syn_sent_rto_us = ti.tcpi_rto;
	if (write(go_fd, "g", 1) != 1)
		_exit(5);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 10000) != 1) {
		p->error = ETIMEDOUT;
		_exit(6);
	}
	p->connect_ms = now_ms() - start;
	get_info(fd, &ti);
	p->cwnd_pkts = ti.tcpi_snd_cwnd;
	p->snd_wnd = ti.tcpi_snd_wnd;
	p->snd_mss = ti.tcpi_snd_mss;
	len = sizeof(p->cc);
	getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, p->cc, &len);
	p->cc[sizeof(p->cc) - 1] = '\0';
	if (write(go_fd, "d", 1) != 1)
		_exit(7);
	close(fd);
	close(filler);
	_exit(0);
}

/* What the real sockets of a connection show after some data: the knobs that have no
 * callback of their own to look at. */
struct knob_probe {
	int error;
	int sndbuf, max_pacing, notsent_lowat, rcvbuf, window_clamp;
	uint32_t rto_us, tcpi_max_pacing;
	uint8_t sender_options, receiver_options;
};

#define KNOB_PROBE_BYTES (512 * 1024)

static int getsockopt_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	getsockopt(fd, level, name, &v, &len);
	return v;
}

static void knob_receiver(const struct topology *t, uint16_t port, struct knob_probe *p,
			  int ready_fd)
{
	int lfd = listen_as_receiver(t, port, 4, ready_fd), fd;
	static char buf[65536];
	struct tcp_info ti;
	ssize_t n;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		_exit(5);
	p->rcvbuf = getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
	p->window_clamp = getsockopt_int(fd, IPPROTO_TCP, TCP_WINDOW_CLAMP);
	get_info(fd, &ti);
	p->receiver_options = ti.tcpi_options;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	close(lfd);
	_exit(0);
}

static void knob_sender(const struct topology *t, uint16_t port, struct knob_probe *p)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	static char buf[KNOB_PROBE_BYTES];
	struct tcp_info ti;
	size_t off = 0;
	int fd;

	if (topology_enter(t, t->ns_sender) < 0)
		_exit(2);
	inet_pton(AF_INET, CCX_ADDR_RECEIVER, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		p->error = errno;
		_exit(3);
	}
	p->sndbuf = getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF);
	p->max_pacing = getsockopt_int(fd, SOL_SOCKET, SO_MAX_PACING_RATE);
	p->notsent_lowat = getsockopt_int(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT);
	while (off < sizeof(buf)) {
		ssize_t n = write(fd, buf + off, sizeof(buf) - off);

		if (n <= 0)
			_exit(4);
		off += n;
	}
	/* Some round trips of ACKs, so the RTO is computed with the new minimum. */
	usleep(300000);
	get_info(fd, &ti);
	p->rto_us = ti.tcpi_rto;
	p->tcpi_max_pacing = (uint32_t)ti.tcpi_max_pacing_rate;
	p->sender_options = ti.tcpi_options;
	close(fd);
	_exit(0);
}

static int run_knob_probe(const struct topology *t, uint16_t port, struct knob_probe *p)
{
	int ready[2], status, bad = 0;
	pid_t rcv, snd;
	char x;

	if (pipe(ready) < 0)
		return -errno;
	rcv = fork();
	if (rcv == 0)
		knob_receiver(t, port, p, ready[1]);
	if (read(ready[0], &x, 1) != 1)
		return -EIO;
	snd = fork();
	if (snd == 0)
		knob_sender(t, port, p);
	waitpid(snd, &status, 0);
	bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	waitpid(rcv, &status, 0);
	bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	close(ready[0]);
	close(ready[1]);
	return bad ? -EIO : 0;
}

static int run_probe(const struct topology *t, uint16_t port, struct probe *p)
{
	int ready[2], go[2], status, bad = 0;
	pid_t rcv, snd;
	char x;

	if (pipe(ready) < 0 || pipe(go) < 0)
		return -errno;
	rcv = fork();
	if (rcv == 0)
		receiver(t, port, ready[1], go[0]);
	if (read(ready[0], &x, 1) != 1)
		return -EIO;
	snd = fork();
	if (snd == 0)
		sender(t, port, p, go[1]);
	waitpid(snd, &status, 0);
	bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	waitpid(rcv, &status, 0);
	bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return bad ? -EIO : 0;
}

static void set_flow(struct flow_spec *f, const char *name, const char *cc)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->cc, sizeof(f->cc), "%s", cc);
	f->count = 2;
	f->stop_s = 10;
}

/* A knob on its default sides, as the config would store it. */
static void set_knob(struct flow_spec *f, enum ccx_knob k, double value)
{
	f->sockops.value[k] = value;
	f->sockops.sides[k] = knob_table[k].default_sides;
}

/* Scans a CSV file for rows whose column `col` equals `val` and, when col2 >= 0, whose
 * column col2 equals val2: returns how many, and the first one's t_s (column 0) in *first. */
static int scan_rows(const char *path, int col, const char *val, int col2, const char *val2,
		     double *first)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *fields[16] = {0}, *rest = line, *tok;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		/* strsep keeps empty fields (an empty conn), which strtok would skip. */
		while (k < 16 && (tok = strsep(&rest, ",")))
			fields[k++] = tok;
		if (col < k && !strcmp(fields[col], val) &&
		    (col2 < 0 || (col2 < k && !strcmp(fields[col2], val2)))) {
			if (!n && first)
				*first = atof(fields[0]);
			n++;
		}
	}
	fclose(f);
	return n;
}

static int count_rows(const char *path, int col, const char *val, int col2, const char *val2)
{
	return scan_rows(path, col, val, col2, val2, NULL);
}

int main(void)
{
	char id[CCX_RUN_ID_LEN + 1], outdir[] = "/tmp/ccx-test-sockops-XXXXXX", path[512];
	struct experiment *exp = calloc(1, sizeof(*exp));
	const char *hz_source;
	struct topology topo;
	struct collector col;
	struct knob_probe *kprobes;
	struct probe *probes;
	int hz, r;

	if (geteuid() != 0)
		ccx_test_skip("needs root: network namespaces, cgroups and BPF");
	if (kernel_hz(&hz, &hz_source) < 0)
		ccx_test_skip("the kernel's HZ is unknown");
	probes = mmap(NULL, 2 * sizeof(*probes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	kprobes = mmap(NULL, 2 * sizeof(*kprobes), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(probes != MAP_FAILED && kprobes != MAP_FAILED && exp);

	snprintf(exp->name, sizeof(exp->name), "sockops-test");
	exp->duration_s = 10;
	exp->link.rate_mbit = 100;
	exp->link.queue_pkts = 100;
	exp->collect.sample_interval_ms = 10;
	exp->nflows = 4;
	set_flow(&exp->flows[0], "tuned", "reno");
	set_knob(&exp->flows[0], CCX_KNOB_SYN_RTO, 200);
	set_knob(&exp->flows[0], CCX_KNOB_INIT_RWND, 40);
	set_knob(&exp->flows[0], CCX_KNOB_INIT_CWND, 20);
	set_flow(&exp->flows[1], "default", "bbr");
	set_flow(&exp->flows[2], "knobs", "cubic");
	set_knob(&exp->flows[2], CCX_KNOB_RTO_MIN, 50);
	set_knob(&exp->flows[2], CCX_KNOB_SNDBUF, 60000);
	set_knob(&exp->flows[2], CCX_KNOB_RCVBUF, 70000);
	set_knob(&exp->flows[2], CCX_KNOB_MAX_PACING, 8);
	set_knob(&exp->flows[2], CCX_KNOB_ECN, 1);
	set_knob(&exp->flows[2], CCX_KNOB_WINDOW_CLAMP, 32768);
	set_knob(&exp->flows[2], CCX_KNOB_NOTSENT_LOWAT, 16384);
	set_knob(&exp->flows[2], CCX_KNOB_DELACK_MAX, 20);
	set_flow(&exp->flows[3], "plain", "cubic");

	CHECK(mkdtemp(outdir) != NULL);
	topology_new_id(id, sizeof(id));
	r = topology_claim(&topo, id, NULL);
	if (!r)
		r = topology_create(&topo, TOPO_ROUTED);
	if (r < 0) {
		fprintf(stderr, "topology_create: %s\n", strerror(-r));
		return 1;
	}
	r = collect_open(&col, exp, hz, topo.cgroup, outdir);
	CHECK(r == 0);
	if (r == 0) {
		CHECK(run_probe(&topo, CCX_PORT_BASE + 0, &probes[0]) == 0);
		CHECK(run_probe(&topo, CCX_PORT_BASE + 1, &probes[1]) == 0);
		CHECK(run_knob_probe(&topo, CCX_PORT_BASE + 2, &kprobes[0]) == 0);
		CHECK(run_knob_probe(&topo, CCX_PORT_BASE + 3, &kprobes[1]) == 0);
		for (int i = 0; i < 20; i++)
			collect_poll(&col, 50);
		CHECK(collect_close(&col) == 0);
		collect_free(&col);
	}
	topology_destroy(&topo);

	/* The SYN RTO: what the socket reports while in SYN_SENT, and the time its SYN
	 * retransmission took to get through. */
	long j = (200L * hz + 999) / 1000;
	uint32_t want_rto_us = (uint32_t)(j * 1000000L / hz);
	double jiffy_ms = 1000.0 / hz;
	const struct probe *tuned = &probes[0], *dflt = &probes[1];

	fprintf(stderr,
		"tuned:   SYN_SENT rto %u us, connect %.1f ms, cwnd %u, snd_wnd %u (mss %u), %s\n"
		"default: SYN_SENT rto %u us, connect %.1f ms, cwnd %u, snd_wnd %u (mss %u), %s\n",
		tuned->syn_sent_rto_us, tuned->connect_ms, tuned->cwnd_pkts, tuned->snd_wnd,
		tuned->snd_mss, tuned->cc, dflt->syn_sent_rto_us, dflt->connect_ms, dflt->cwnd_pkts,
		dflt->snd_wnd, dflt->snd_mss, dflt->cc);
	CHECK(tuned->syn_sent_state == 2 /* SYN_SENT */);
	CHECK_MSG(tuned->syn_sent_rto_us == want_rto_us, "rto %u us, want %u",
		  tuned->syn_sent_rto_us, want_rto_us);
	CHECK_MSG(tuned->connect_ms >= 200 - jiffy_ms && tuned->connect_ms <= 200 + jiffy_ms + 30,
		  "connect took %.1f ms, want 200 ms (one SYN retransmission)", tuned->connect_ms);
	/* Without the knob the kernel's own 1 s SYN RTO applies. A timeout of 64 jiffies or more
	 * lands in the timer wheel's second level, which rounds up to 8 jiffies. */
	CHECK_MSG(dflt->syn_sent_rto_us == 1000000, "default rto %u us", dflt->syn_sent_rto_us);
	CHECK_MSG(dflt->connect_ms >= 1000 - jiffy_ms &&
		      dflt->connect_ms <= 1000 + 8 * jiffy_ms + 30,
		  "default connect took %.1f ms", dflt->connect_ms);
	/* The initial cwnd, before any data was sent. */
	CHECK_MSG(tuned->cwnd_pkts == 20, "cwnd %u", tuned->cwnd_pkts);
	CHECK_MSG(dflt->cwnd_pkts == 10, "default cwnd %u", dflt->cwnd_pkts);
	/* The receiver's initial window, as the sender sees it before any window update. */
	CHECK_MSG(tuned->snd_wnd == 40 * tuned->snd_mss, "snd_wnd %u, want 40 x %u", tuned->snd_wnd,
		  tuned->snd_mss);
	CHECK_MSG(dflt->snd_wnd > 40 * dflt->snd_mss, "default snd_wnd %u", dflt->snd_wnd);
	CHECK_STR_EQ(tuned->cc, "reno");
	CHECK_STR_EQ(dflt->cc, "bbr");

	/* The knobs without a callback of their own, on the real sockets; "plain" is the same
	 * path without them. The kernel doubles SO_SNDBUF/SO_RCVBUF for its bookkeeping. */
	const struct knob_probe *kn = &kprobes[0], *pl = &kprobes[1];

	fprintf(stderr,
		"knobs: sndbuf %d rcvbuf %d pacing %d B/s (tcpi %u) lowat %d clamp %d rto %u us "
		"ecn %d/%d\n"
		"plain: sndbuf %d rcvbuf %d pacing %d B/s (tcpi %u) lowat %d clamp %d rto %u us "
		"ecn %d/%d\n",
		kn->sndbuf, kn->rcvbuf, kn->max_pacing, kn->tcpi_max_pacing, kn->notsent_lowat,
		kn->window_clamp, kn->rto_us, !!(kn->sender_options & TCPI_OPT_ECN),
		!!(kn->receiver_options & TCPI_OPT_ECN), pl->sndbuf, pl->rcvbuf, pl->max_pacing,
		pl->tcpi_max_pacing, pl->notsent_lowat, pl->window_clamp, pl->rto_us,
		!!(pl->sender_options & TCPI_OPT_ECN), !!(pl->receiver_options & TCPI_OPT_ECN));
	CHECK_MSG(kn->sndbuf == 2 * 60000, "sndbuf %d", kn->sndbuf);
	CHECK_MSG(kn->rcvbuf == 2 * 70000, "rcvbuf %d", kn->rcvbuf);
	CHECK(pl->sndbuf != 2 * 60000 && pl->rcvbuf != 2 * 70000);
	CHECK_MSG(kn->max_pacing == 1000000, "SO_MAX_PACING_RATE %d", kn->max_pacing);
	CHECK_MSG(kn->tcpi_max_pacing == 1000000, "tcpi_max_pacing_rate %u", kn->tcpi_max_pacing);
	CHECK(pl->max_pacing != 1000000);
	CHECK_MSG(kn->notsent_lowat == 16384, "notsent_lowat %d", kn->notsent_lowat);
	/* window_clamp_bytes is applied (its sockops.csv row, below), but kernels since 6.7
	 * recompute the clamp from the receive buffer when the first data changes their
	 * window scaling ratio, so the socket no longer shows it here: not checked. */
	/* rto = srtt + max(rttvar, rto_min): 50 ms plus a few ms of path here, 200 ms plain. */
	CHECK_MSG(kn->rto_us >= 50000 && kn->rto_us < 100000, "rto %u us with rto_min 50 ms",
		  kn->rto_us);
	CHECK_MSG(pl->rto_us >= 200000, "plain rto %u us", pl->rto_us);
	CHECK(kn->sender_options & TCPI_OPT_ECN);
	CHECK(kn->receiver_options & TCPI_OPT_ECN);
	CHECK(!(pl->sender_options & TCPI_OPT_ECN));

	/* The event files saw the same: one RTO and one SYN retransmission per probe,
	 * with the RTO the knob asked for. */
	snprintf(path, sizeof(path), "%s/events/rto.csv", outdir);
	CHECK(count_rows(path, 1, "tuned", 5, "200") == 1);
	CHECK(count_rows(path, 1, "default", 5, "1000") == 1);
	snprintf(path, sizeof(path), "%s/events/retrans.csv", outdir);
	CHECK(count_rows(path, 1, "tuned", 3, "sender") == 1);
	CHECK(count_rows(path, 1, "default", 3, "sender") == 1);
	/* The SYN retransmission came one SYN RTO after the connect, within a jiffy: the
	 * probe is the flow's second connection (the first filled the accept queue). */
	{
		char hs[512];
		double t_conn = 0, t_retrans = 0;

		snprintf(hs, sizeof(hs), "%s/events/handshake.csv", outdir);
		CHECK(scan_rows(hs, 2, "1", 4, "TCP_CONNECT", &t_conn) >= 1);
		CHECK(scan_rows(path, 1, "tuned", 2, "1", &t_retrans) == 1);
		double gap_ms = (t_retrans - t_conn) * 1e3;

		fprintf(stderr, "tuned: SYN retransmitted %.2f ms after connect\n", gap_ms);
		CHECK_MSG(gap_ms >= 200 - jiffy_ms && gap_ms <= 200 + jiffy_ms,
			  "SYN retransmission %.2f ms after connect, want 200 ms +- one jiffy",
			  gap_ms);
	}
	snprintf(path, sizeof(path), "%s/events/sockops.csv", outdir);
	/* columns: t_s,flow,conn,side,op,knob,value,kernel_value,kernel_unit,result */
	CHECK(count_rows(path, 5, "init_cwnd_pkts", 9, "0") == 2); /* filler + probe */
	CHECK(count_rows(path, 5, "init_rwnd_pkts", 3, "receiver") == 2);
	CHECK(count_rows(path, 5, "syn_rto_ms", 6, "200") >= 2);
	/* Every knob of "knobs" was applied on each side it is on (a reply knob may be asked
	 * more than once: NEEDS_ECN is, for the request and the child), and none refused. */
	for (int k = 0; k < CCX_KNOB_MAX; k++) {
		const struct knob_info *ki = &knob_table[k];
		unsigned int sides = exp->flows[2].sockops.sides[k];

		if (!ki->name || !sides)
			continue;
		for (int side = 0; side < 2; side++) {
			int n = count_rows(path, 5, ki->name, 3, side ? "receiver" : "sender");

			CHECK_MSG((n > 0) == !!(sides & (1u << side)), "knob %s: %d rows on the %s",
				  ki->name, n, side ? "receiver" : "sender");
		}
		CHECK_MSG(count_rows(path, 5, ki->name, 9, "0") ==
			      count_rows(path, 5, ki->name, -1, NULL),
			  "knob %s: a row with a result other than 0", ki->name);
	}

	/* Nothing of the topology is left. */
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", topo.ns_sender);
	CHECK(stat(path, &st) < 0);
	CHECK(stat(topo.cgroup, &st) < 0);
	CHECK(stat(topo.state_file, &st) < 0);

	if (!ccx_test_failures) {
		const char *const rm[] = {"rm", "-rf", outdir, NULL};

		sys_run(rm);
	} else {
		fprintf(stderr, "event files kept in %s\n", outdir);
	}
	free(exp);
	return ccx_test_result();
}
