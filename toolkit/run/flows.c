/* The built-in bulk flows: one receiver and one sender process per flow, each in its host's
 * namespace and in the run's cgroup, started and stopped on the config's schedule. */
#include "run/flows.h"
#include "kernel/collect.h"
#include "core/config.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES	(64 * 1024)
#define DRAIN_TIMEOUT_S 10.0 /* how long a stopped sender waits for its data to be acked */

static volatile sig_atomic_t flow_stop;

static void on_term(int sig)
{
	(void)sig;
	flow_stop = 1;
}

static double since_t0(uint64_t t0_ns)
{
	return ((double)sys_mono_ns() - (double)t0_ns) / 1e9;
}

static void sleep_until(uint64_t t_ns)
{
	while (!flow_stop) {
		uint64_t now = sys_mono_ns();

		if (now >= t_ns)
			return;
		uint64_t d = t_ns - now;
		struct timespec ts = {.tv_sec = d / 1000000000ull, .tv_nsec = d % 1000000000ull};

		nanosleep(&ts, NULL);
	}
}

/* Common start of every flow process: die with the parent, join the run. */
static void flow_process_init(const struct topology *t, const char *ns)
{
	struct sigaction sa = {.sa_handler = on_term};
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Sockets take the cgroup of the process that creates them: join before socket(). */
	r = topology_enter(t, ns);
	if (r < 0) {
		log_err_errno(r, "enter the run's cgroup and netns %s", ns);
		_exit(1);
	}
}

static void read_tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

static int connect_one(struct sender_result *res, const struct experiment *exp, int flow_id,
		       uint64_t t0_ns)
{
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_port = htons(CCX_PORT_BASE + flow_id)};
	struct sockaddr_in self;
	socklen_t len = sizeof(self);
	double bytes_per_s = exp->link.rate_mbit * 1e6 / 8;
	int lowat, fd;
	struct tcp_info ti;

	inet_pton(AF_INET, CCX_ADDR_RECEIVER, &dst.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		res->error = errno;
		return -1;
	}
	/* Keep the unsent backlog near 10 ms of link time, so a flow stops when the schedule
	 * says and not seconds later when a deep send buffer has drained. */
	lowat = (int)(bytes_per_s / 100);
	if (lowat < 16384)
		lowat = 16384;
	if (lowat > (1 << 20))
		lowat = 1 << 20;
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	res->connect_start_s = since_t0(t0_ns);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		res->error = errno;
		close(fd);
		return -1;
	}
	res->connect_done_s = since_t0(t0_ns);
	res->connected = true;
	read_tcp_info(fd, &ti);
	res->connect_snd_cwnd = ti.tcpi_snd_cwnd;
	res->connect_snd_ssthresh = ti.tcpi_snd_ssthresh;
	res->connect_rto_us = ti.tcpi_rto;
	res->connect_options = ti.tcpi_options;
	len = sizeof(res->cc);
	getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, res->cc, &len);
	res->cc[sizeof(res->cc) - 1] = '\0';
	len = sizeof(self);
	if (getsockname(fd, (struct sockaddr *)&self, &len) == 0)
		res->client_port = ntohs(self.sin_port);
	res->server_port = CCX_PORT_BASE + flow_id;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* The end of a connection: the kernel's final counters, then close. `error` (0: none) is
 * kept only when no earlier error was. */
static void close_conn(struct sender_result *res, int *fd, int error, uint64_t t0_ns)
{
	struct tcp_info ti;

	read_tcp_info(*fd, &ti);
	res->bytes_acked = ti.tcpi_bytes_acked;
	res->total_retrans = ti.tcpi_total_retrans;
	res->end_s = since_t0(t0_ns);
	if (error && !res->error)
		res->error = error;
	close(*fd);
	*fd = -1;
}

/* A flow may hold up to CFG_MAX_CONNS sockets, more than the usual soft limit of 1024 open
 * files; the hard limit is what the administrator allows. */
static void raise_nofile(int conns)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= (rlim_t)conns + 64)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void run_sender(struct sender_result *res, const struct experiment *exp, int flow_id,
		       uint64_t t0_ns)
{
	const struct flow_spec *fs = &exp->flows[flow_id];
	static char chunk[CHUNK_BYTES];
	struct pollfd pfd[CFG_MAX_CONNS];
	uint64_t stop_ns = t0_ns + (uint64_t)(fs->stop_s * 1e9);
	int n = fs->count;

	raise_nofile(n);
	memset(chunk, 'x', sizeof(chunk));
	sleep_until(t0_ns + (uint64_t)(fs->start_s * 1e9));
	for (int k = 0; k < n; k++) {
		res[k].flow_id = flow_id;
		res[k].index = k;
		pfd[k].fd = flow_stop ? -1 : connect_one(&res[k], exp, flow_id, t0_ns);
		pfd[k].events = POLLOUT;
	}

	while (!flow_stop) {
		uint64_t now = sys_mono_ns();
		int active = 0;

		if (now >= stop_ns)
			break;
		int r = poll(pfd, n, (int)((stop_ns - now) / 1000000 + 1));

		if (r < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (pfd[k].fd < 0)
				continue;
			active++;
			if (!(pfd[k].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			ssize_t w = send(pfd[k].fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				res[k].error = errno;
				close(pfd[k].fd);
				pfd[k].fd = -1;
			}
		}
		if (!active)
			break;
	}

	/* Graceful end: FIN after the data, then wait for the receiver's FIN, so the final
	 * TCP_INFO counts every byte and retransmission of the connection. */
	for (int k = 0; k < n; k++) {
		if (pfd[k].fd < 0)
			continue;
		shutdown(pfd[k].fd, SHUT_WR);
		pfd[k].events = POLLIN;
	}
	uint64_t drain_end = sys_mono_ns() + (uint64_t)(DRAIN_TIMEOUT_S * 1e9);

	for (;;) {
		uint64_t now = sys_mono_ns();
		int open_fds = 0;

		for (int k = 0; k < n; k++)
			open_fds += pfd[k].fd >= 0;
		if (!open_fds || now >= drain_end)
			break;
		if (poll(pfd, n, (int)((drain_end - now) / 1000000 + 1)) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			char sink[4096];

			if (pfd[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			ssize_t got = recv(pfd[k].fd, sink, sizeof(sink), 0);

			if (got > 0 || (got < 0 && (errno == EAGAIN || errno == EINTR)))
				continue;
			res[k].finished = got == 0;
			close_conn(&res[k], &pfd[k].fd, got < 0 ? errno : 0, t0_ns);
		}
	}
	for (int k = 0; k < n; k++)
		if (pfd[k].fd >= 0)
			close_conn(&res[k], &pfd[k].fd, ETIMEDOUT, t0_ns);
	_exit(0);
}

static void run_receiver(struct receiver_result *res, const struct experiment *exp, int flow_id,
			 uint64_t deadline_ns, int ready_fd)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons(CCX_PORT_BASE + flow_id)};
	const struct flow_spec *fs = &exp->flows[flow_id];
	struct pollfd pfd[CFG_MAX_CONNS + 1];
	static char buf[256 * 1024];
	int one = 1, accepted = 0, open_conns = 0, lfd;

	raise_nofile(fs->count);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		_exit(1);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, CCX_ADDR_RECEIVER, &addr.sin_addr);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, fs->count + 8) < 0) {
		log_err_errno(-errno, "flow %s: listen on port %d", fs->name,
			      CCX_PORT_BASE + flow_id);
		_exit(1);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;

	while (!flow_stop && sys_mono_ns() < deadline_ns) {
		if (accepted == fs->count && open_conns == 0)
			break;
		if (poll(pfd, accepted + 1, 100) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd[0].revents & POLLIN) && accepted < fs->count) {
			struct sockaddr_in peer;
			socklen_t len = sizeof(peer);
			int fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);

			if (fd >= 0) {
				res[accepted].flow_id = flow_id;
				res[accepted].client_port = ntohs(peer.sin_port);
				accepted++;
				pfd[accepted].fd = fd;
				pfd[accepted].events = POLLIN;
				pfd[accepted].revents = 0;
				open_conns++;
				if (accepted == fs->count) {
					/* All expected connections are in: stop listening. */
					pfd[0].fd = -1;
					close(lfd);
				}
			}
		}
		for (int k = 1; k <= accepted; k++) {
			if (pfd[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			ssize_t got = recv(pfd[k].fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (got > 0) {
				res[k - 1].bytes += got;
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				res[k - 1].eof = got == 0;
				close(pfd[k].fd);
				pfd[k].fd = -1;
				open_conns--;
			}
		}
	}
	_exit(0);
}

/* Output of a cmd flow's program: outdir/apps/<flow>.<what>. A program whose output has
 * nowhere to go does not run (exit 126, as a shell's "cannot execute"). */
static void redirect_output(const char *outdir, const char *flow, const char *what)
{
	char path[PATH_MAX];
	int fd;

	if (path_fmt(path, sizeof(path), "%s/apps", outdir) < 0)
		_exit(126);
	sys_mkdir_p(path, 0755);
	for (int k = 0; k < 2; k++) {
		if (path_fmt(path, sizeof(path), "%s/apps/%s.%s.%s", outdir, flow, what,
			     k ? "err" : "out") < 0) {
			log_err("flow %s: %s/apps/...: %s", flow, outdir, strerror(ENAMETOOLONG));
			_exit(126);
		}
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			log_err_errno(-errno, "flow %s: create %s", flow, path);
			_exit(126);
		}
		dup2(fd, k ? 2 : 1);
		close(fd);
	}
}

/* A cmd flow's program runs under /bin/sh: the config gives a command line. */
static void run_cmd(const struct experiment *exp, int flow_id, const char *tmpl, const char *outdir,
		    const char *what, uint64_t start_ns)
{
	const struct flow_spec *fs = &exp->flows[flow_id];
	char cmd[2048];

	if (config_expand_cmd(tmpl, fs, CCX_ADDR_SENDER, CCX_ADDR_RECEIVER, CCX_PORT_BASE + flow_id,
			      cmd, sizeof(cmd)) < 0)
		_exit(126);
	sleep_until(start_ns);
	if (flow_stop)
		_exit(0);
	redirect_output(outdir, fs->name, what);
	/* The flow process's own handlers must not outlive exec. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* True once a socket of netns `pid` listens on `port` (a server_cmd started): a listening
 * TCP socket, or a bound unconnected UDP one (state 07) for a UDP server. Servers such as
 * iperf3 listen on a dual-stack IPv6 socket, so the IPv6 tables are read too. */
static bool port_listening(pid_t pid, int port)
{
	static const char *const tables[] = {"tcp", "tcp6", "udp", "udp6"};
	static const unsigned int state[] = {0x0A, 0x0A, 0x07, 0x07};
	char path[64], line[512];
	bool found = false;

	for (int i = 0; i < 4 && !found; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, tables[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			unsigned int lport, st;

			if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &st) == 2)
				found = lport == (unsigned int)port && st == state[i];
		}
		fclose(f);
	}
	return found;
}

static int fork_flow(struct traffic *tr, int flow_id, bool sender, pid_t *pid)
{
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid > 0) {
		struct flow_proc *p = &tr->procs[tr->nprocs++];

		p->pid = *pid;
		p->flow_id = flow_id;
		p->is_sender = sender;
	}
	return 0;
}

/* Reaps p if it ended (blocking: waits for it); keeps its wait status. */
static void reap(struct flow_proc *p, bool block)
{
	pid_t r;

	if (p->pid <= 0)
		return;
	do
		r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->pid = 0;
		p->ended = true;
	} else if (r < 0) {
		p->pid = 0; /* not ours any more: nothing to report */
	}
}

const struct flow_proc *traffic_proc(const struct traffic *tr, int flow_id, bool sender)
{
	for (int i = 0; i < tr->nprocs; i++)
		if (tr->procs[i].flow_id == flow_id && tr->procs[i].is_sender == sender)
			return &tr->procs[i];
	return NULL;
}

int traffic_start(struct traffic *tr, const struct experiment *exp, const struct topology *t,
		  const char *outdir, const volatile sig_atomic_t *stop)
{
	int ready[2], slot = 0, receivers = 0, r = 0;
	uint64_t deadline_ns;
	pid_t pid;

	memset(tr, 0, sizeof(*tr));
	tr->nconns = experiment_conns(exp);
	tr->map_len = tr->nconns * (sizeof(struct sender_result) + sizeof(struct receiver_result));
	void *map =
	    mmap(NULL, tr->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		return -errno;
	memset(map, 0, tr->map_len);
	tr->snd = map;
	tr->rcv = (struct receiver_result *)(tr->snd + tr->nconns);
	for (int i = 0; i < exp->nflows; i++) {
		for (int k = 0; k < exp->flows[i].count; k++) {
			tr->snd[slot + k].flow_id = i;
			tr->snd[slot + k].index = k;
		}
		slot += exp->flows[i].count;
	}
	slot = 0;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	/* Receivers outlive the experiment by the senders' drain time. */
	deadline_ns = sys_mono_ns() + (uint64_t)((exp->duration_s + DRAIN_TIMEOUT_S + 5) * 1e9);
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];

		if (fs->cmd[0] && !fs->server_cmd[0])
			continue;
		r = fork_flow(tr, i, false, &pid);
		if (r < 0)
			goto out;
		if (pid == 0) {
			close(ready[0]);
			flow_process_init(t, t->ns_receiver);
			if (fs->cmd[0])
				run_cmd(exp, i, fs->server_cmd, outdir, "server", 0);
			run_receiver(tr->rcv + slot, exp, i, deadline_ns, ready[1]);
		}
		if (fs->cmd[0]) {
			/* A program gives no signal when it listens: watch its netns instead. */
			struct flow_proc *sp = &tr->procs[tr->nprocs - 1];
			uint64_t give_up = sys_mono_ns() + 5000000000ull;
			bool listening;

			while (!(listening = port_listening(pid, CCX_PORT_BASE + i)) &&
			       sys_mono_ns() < give_up && !*stop) {
				reap(sp, false);
				if (sp->ended)
					break; /* it will never listen; the flow's result says so */
				usleep(10000);
			}
			if (*stop) {
				r = -EINTR;
				goto out;
			}
			if (!listening)
				log_err("flow %s: server_cmd is not listening on port %d %s",
					fs->name, CCX_PORT_BASE + i,
					sp->ended ? "and has ended" : "after 5 s");
		} else {
			receivers++;
		}
		slot += fs->count;
	}
	close(ready[1]);
	ready[1] = -1;
	uint64_t give_up = sys_mono_ns() + 5000000000ull;

	for (int got = 0; got < receivers;) {
		struct pollfd p = {.fd = ready[0], .events = POLLIN};
		uint64_t now = sys_mono_ns();
		char c;
		int n;

		n = now < give_up ? poll(&p, 1, (int)((give_up - now) / 1000000) + 1) : 0;
		/* A signal to the run ends the wait as an interruption, not a timeout. */
		if (*stop) {
			r = -EINTR;
			goto out;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || read(ready[0], &c, 1) != 1) {
			log_err("the flow receivers did not start listening within 5 s");
			r = n < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		got++;
	}

	/* t0 a little ahead, so every sender is waiting before the first start_s. */
	tr->t0_ns = sys_mono_ns() + 100000000ull;
	slot = 0;
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];

		r = fork_flow(tr, i, true, &pid);
		if (r < 0)
			goto out;
		if (pid == 0) {
			close(ready[0]);
			flow_process_init(t, t->ns_sender);
			if (fs->cmd[0])
				run_cmd(exp, i, fs->cmd, outdir, "client",
					tr->t0_ns + (uint64_t)(fs->start_s * 1e9));
			run_sender(tr->snd + slot, exp, i, tr->t0_ns);
		}
		slot += fs->count;
	}
out:
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	return r;
}

int traffic_running(struct traffic *tr)
{
	int running = 0;

	for (int i = 0; i < tr->nprocs; i++) {
		reap(&tr->procs[i], false);
		running += tr->procs[i].pid > 0 && tr->procs[i].is_sender;
	}
	return running;
}

static int alive(struct traffic *tr)
{
	int n = 0;

	traffic_running(tr);
	for (int i = 0; i < tr->nprocs; i++)
		n += tr->procs[i].pid > 0;
	return n;
}

void traffic_stop(struct traffic *tr, int grace_ms)
{
	for (int i = 0; i < tr->nprocs; i++) {
		reap(&tr->procs[i], false);
		if (tr->procs[i].pid > 0) {
			tr->procs[i].term_sent = true;
			kill(tr->procs[i].pid, SIGTERM);
		}
	}
	for (int waited = 0; waited < grace_ms && alive(tr); waited += 10)
		usleep(10000);
	for (int i = 0; i < tr->nprocs; i++) {
		if (tr->procs[i].pid <= 0)
			continue;
		kill(tr->procs[i].pid, SIGKILL);
		reap(&tr->procs[i], true);
	}
}

void traffic_free(struct traffic *tr)
{
	if (tr->snd)
		munmap(tr->snd, tr->map_len);
	tr->snd = NULL;
	tr->rcv = NULL;
}
