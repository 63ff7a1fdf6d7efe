/* The tun link backend: a TUN device in each host's namespace and an emulator process
 * between them that runs the link model (toolkit/link/emu.h) on every packet. */
#include "link/tun.h"
#include "link/capture.h"
#include "core/path.h"
#include "kernel/child.h"
#include "core/csv.h"
#include "link/gso.h"
#include "core/log.h"
#include "kernel/netlink.h"
#include "kernel/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reads from one device per wakeup (each up to 64 KB of packets), so the other direction
 * does not wait long behind a busy one. */
#define READ_BATCH 8
/* Bounds of the early wake-up that makes up for timer latency, and of the time saved up for
 * polling (see emulate()). */
#define SPIN_MIN_NS   20000ull
#define SPIN_MAX_NS   900000ull
#define POLL_BURST_NS 20000000ll

static const char *const dir_names[2] = {"up", "down"};

static const char *const drop_reasons[] = {
    [EMU_ACCEPTED] = "none",  [EMU_DROP_LOSS] = "loss",	  [EMU_DROP_QUEUE] = "queue",
    [EMU_DROP_AQM] = "codel", [EMU_DROP_NOBUF] = "nobuf",
};

/* Lets the host's stack hand the device TCP super-packets (TSO) and leave checksums to it,
 * as it would to a NIC: the emulator then reads up to 64 KB per system call and splits it
 * into wire packets itself (gso.h). Falls back to plain packets where the kernel refuses. */
static bool tun_offload(int fd)
{
	static const unsigned int sets[] = {
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, sets[i]) == 0)
			return true;
	ioctl(fd, TUNSETOFFLOAD, 0u);
	return false;
}

struct tun_open {
	const char *ifname;
	bool offload;
};

/* In the namespace sys_in_netns visits: a device lives in the namespace of the process that
 * creates it, and goes away when its last file descriptor closes. Every packet comes and
 * goes with a virtio header (IFF_VNET_HDR). Returns the descriptor or -errno. */
static int open_tun(void *arg)
{
	struct tun_open *to = arg;
	struct ifreq ifr = {0};
	int fd, r;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", to->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	to->offload = tun_offload(fd);
	return fd;
}

/* Address, link up and the route to the other host, through one rtnetlink socket in the
 * device's namespace (an ip(8) per setting cost a fork and exec each). `peer` is
 * "a.b.c.d/len". */
static int configure_end(const char *ns, const char *ifname, const char *addr, const char *peer)
{
	char err[NETLINK_ERR_MAX], dst[32];
	const char *slash = strchr(peer, '/');
	struct netlink nl;
	int index, r;

	if (!slash || (size_t)(slash - peer) >= sizeof(dst))
		return log_err_errno(-EINVAL, "route %s", peer);
	snprintf(dst, sizeof(dst), "%.*s", (int)(slash - peer), peer);
	r = netlink_open(&nl, ns, err, sizeof(err));
	if (r < 0)
		goto fail;
	index = netlink_ifindex(&nl, ifname, err, sizeof(err));
	r = index < 0 ? index : netlink_addr_add(&nl, index, addr, 24, err, sizeof(err));
	if (!r)
		r = netlink_link_up(&nl, index, err, sizeof(err));
	/* Only the other host's subnet goes through the emulator. */
	if (!r)
		r = netlink_route_add(&nl, dst, atoi(slash + 1), NULL, index, err, sizeof(err));
	netlink_close(&nl);
	if (!r)
		return 0;
fail:
	log_err("set up %s in %s (%s/24, route %s): %s", ifname, ns, addr, peer, err);
	return r;
}

/* --- the emulator process ------------------------------------------------------------ */

struct emu_proc {
	const struct tun_link_config *cfg;
	int fd[2];
	struct emu_dir *dir[2];
	struct tun_shared *sh;
	struct csv link_csv, drops_csv;
	bool have_csv;
	uint64_t interval_ns, next_sample_ns;
	struct emu_stats last[2];
	struct gso_joiner join[2]; /* [d]: what direction d hands to the other end */
	uint32_t group[2];	   /* the last super-packet number given out, per direction */
	uint64_t in_now_ns;	   /* the arrival time of what is being split */
	struct capture cap;
	bool have_cap;
};

struct drop_ctx {
	struct emu_proc *p;
	int dir;
};

static struct drop_ctx drop_ctx[2];

static void on_drop(void *ctx, const struct emu_drop *drop)
{
	struct drop_ctx *dc = ctx;
	struct emu_proc *p = dc->p;
	uint64_t t0 = p->sh->t0_ns;
	uint32_t tag = sizeof(struct gso_tag);
	enum emu_verdict why = drop->why;

	/* At its arrival time, as in link.pcap: the two records of a drop match. */
	if (p->have_cap && drop->len > tag)
		capture_packet(&p->cap, CAPTURE_DROPS, (const uint8_t *)drop->pkt + tag,
			       drop->len - tag, drop->arrival_ns);
	if (!p->have_csv)
		return;
	csv_double(&p->drops_csv, t0 ? ((double)drop->now_ns - (double)t0) / 1e9 : NAN, 6);
	csv_str(&p->drops_csv, dir_names[dc->dir]);
	csv_u64(&p->drops_csv, drop->index);
	csv_str(&p->drops_csv, why <= EMU_DROP_NOBUF ? drop_reasons[why] : "unknown");
	csv_end_row(&p->drops_csv);
}

/* Into the other host's stack: a write to a TUN device is a packet received there. Runs of
 * one super-packet's packets go as one write (gso.h) once the model has released them. */
static void out_packet(void *ctx, const void *pkt, uint32_t len)
{
	gso_joiner_add(ctx, pkt, len);
}

/* The extra delay of the flow a packet belongs to, told by the receiver's port. */
static uint64_t flow_extra(const struct tun_link_config *cfg, int d, const uint8_t *tagged,
			   uint32_t len)
{
	uint32_t tag = sizeof(struct gso_tag);
	uint16_t src, dst, port;

	if (!cfg->flow_extra_ns[d] || len <= tag ||
	    gso_tcp_ports(tagged + tag, len - tag, &src, &dst) < 0)
		return 0;
	port = d == TUN_UP ? dst : src;
	if (port < cfg->flow_port_base || port - cfg->flow_port_base >= cfg->nflows)
		return 0;
	return cfg->flow_extra_ns[d][port - cfg->flow_port_base];
}

static void in_packet(void *ctx, const uint8_t *tagged, uint32_t len)
{
	struct emu_proc *p = ((struct drop_ctx *)ctx)->p;
	int d = ((struct drop_ctx *)ctx)->dir;
	uint32_t tag = sizeof(struct gso_tag);

	/* Each wire packet as the model takes it in, before it can be dropped. */
	if (p->have_cap && len > tag)
		capture_packet(&p->cap, CAPTURE_ALL, tagged + tag, len - tag, p->in_now_ns);
	emu_dir_enqueue_extra(p->dir[d], tagged, len, p->in_now_ns,
			      flow_extra(p->cfg, d, tagged, len));
}

static void note_queue(struct emu_proc *p, int d)
{
	uint32_t pkts;
	uint64_t bytes;

	emu_dir_queue(p->dir[d], &pkts, &bytes);
	if (pkts > p->sh->max_queue_pkts[d])
		p->sh->max_queue_pkts[d] = pkts;
	if (bytes > p->sh->max_queue_bytes[d])
		p->sh->max_queue_bytes[d] = bytes;
}

static void write_sample(struct emu_proc *p, uint64_t at_ns)
{
	double dt = p->interval_ns / 1e9;

	for (int d = 0; d < 2; d++) {
		struct emu_stats s;

		emu_dir_stats(p->dir[d], &s);
		p->sh->stats[d] = s;
		if (!p->have_csv)
			continue;
		uint64_t drops = s.dropped_loss + s.dropped_queue + s.dropped_aqm + s.dropped_nobuf;
		uint64_t last_drops = p->last[d].dropped_loss + p->last[d].dropped_queue +
				      p->last[d].dropped_aqm + p->last[d].dropped_nobuf;

		csv_double(&p->link_csv, ((double)at_ns - (double)p->sh->t0_ns) / 1e9, 3);
		csv_str(&p->link_csv, dir_names[d]);
		csv_u64(&p->link_csv, s.queue_pkts);
		csv_u64(&p->link_csv, s.queue_bytes);
		csv_u64(&p->link_csv, s.delivered - p->last[d].delivered);
		csv_double(&p->link_csv,
			   (s.bytes_delivered - p->last[d].bytes_delivered) * 8 / dt / 1e6, 3);
		csv_u64(&p->link_csv, drops - last_drops);
		csv_double(&p->link_csv,
			   (s.opportunity_bytes - p->last[d].opportunity_bytes) * 8 / dt / 1e6, 3);
		csv_end_row(&p->link_csv);
		p->last[d] = s;
	}
}

static struct emu_dir *new_dir(struct emu_proc *p, int d, uint64_t origin_ns)
{
	struct emu_params ep = p->cfg->dir[d];

	drop_ctx[d].p = p;
	drop_ctx[d].dir = d;
	ep.on_drop = on_drop;
	ep.drop_ctx = &drop_ctx[d];
	ep.prefix_bytes = sizeof(struct gso_tag);
	ep.extra_delays = p->cfg->flow_extra_ns[d] != NULL;
	return emu_dir_new(&ep, p->cfg->pool_pkts[d], origin_ns);
}

/* Moves both directions' models to now and hands out what is due; cheap when nothing is. */
static void release_due(struct emu_proc *p, uint64_t now)
{
	for (int d = 0; d < 2 && p->dir[d]; d++) {
		emu_dir_run(p->dir[d], now, out_packet, &p->join[d]);
		gso_joiner_flush(&p->join[d]);
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void arm(int tfd, uint64_t at_ns)
{
	struct itimerspec its = {0};

	if (at_ns != UINT64_MAX) {
		its.it_value.tv_sec = at_ns / 1000000000ull;
		its.it_value.tv_nsec = at_ns % 1000000000ull;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int emulate(struct emu_proc *p, int stop_fd)
{
	uint64_t early_ns = SPIN_MIN_NS, last_ns = sys_mono_ns();
	int64_t poll_budget_ns = 0;
	bool polling = false;
	/* A read lands so that the packet follows a tag's room: the virtio header sits in
	 * that room's tail, and a packet that needs no split is tagged in place. */
	static uint8_t buf[sizeof(struct gso_tag) + GSO_MAX_PKT];
	/* A split packet larger than a slot of the model would be dropped there anyway. */
	static uint8_t scratch[EMU_MAX_PKT];
	uint8_t *rd = buf + sizeof(struct gso_tag) - sizeof(struct virtio_net_hdr);
	struct epoll_event ev, evs[4];
	int ep, tfd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, p->fd[i], &ev);
	}
	ev.events = EPOLLIN;
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.events = EPOLLIN | EPOLLHUP;
	ev.data.u32 = 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev);

	for (;;) {
		uint64_t now = sys_mono_ns(), next = UINT64_MAX;
		bool stop = false;
		int n;

		if (p->sh->t0_ns && !p->dir[0]) {
			/* The link's clock starts at the experiment's t = 0, so link.csv's capacity
			 * at t_s is the trace's at t_s. t0 comes ~100 ms before the first flow
			 * packet; what crossed before (an IGMP report as a device came up) is not
			 * part of the experiment and was dropped. */
			for (int d = 0; d < 2; d++) {
				p->dir[d] = new_dir(p, d, p->sh->t0_ns);
				if (!p->dir[d])
					return log_err_errno(-errno,
							     "set up the %s direction of the link",
							     dir_names[d]);
				emu_dir_stats(p->dir[d], &p->last[d]);
			}
			p->next_sample_ns = p->sh->t0_ns + p->interval_ns;
			if (p->have_cap) {
				struct timespec ts;
				uint64_t mono_ns = sys_mono_ns();

				clock_gettime(CLOCK_REALTIME, &ts);
				p->sh->capture_t0_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull +
							    (uint64_t)ts.tv_nsec -
							    (mono_ns - p->sh->t0_ns);
				capture_set_t0(&p->cap, p->sh->t0_ns, p->sh->capture_t0_unix_ns);
			}
		}
		release_due(p, now);
		for (int d = 0; d < 2 && p->dir[0]; d++)
			next = min_u64(next, emu_dir_next_ns(p->dir[d]));
		if (p->dir[0]) {
			while (now >= p->next_sample_ns) {
				write_sample(p, p->next_sample_ns);
				p->next_sample_ns += p->interval_ns;
			}
			next = min_u64(next, p->next_sample_ns);
		} else {
			/* t0 comes ~100 ms before the first flow packet: look every ms, so the
			 * model restarts at t0 long before any packet of the experiment. */
			next = min_u64(next, now + 1000000);
		}
		/* A timer here fires 50-500 us late (a VM's idle vCPU takes that long to wake),
		 * which every release would add. So the loop wakes early, by the lateness waking
		 * has lately shown, and polls without sleeping until the event; packets arriving
		 * meanwhile are read, and stamped, at once. Polling is paid from a budget (a
		 * quarter of a CPU): at a high packet rate it would otherwise take the CPU the
		 * flows' own processes need. */
		poll_budget_ns += (int64_t)(now - last_ns) / 4;
		if (polling)
			poll_budget_ns -= (int64_t)(now - last_ns);
		if (poll_budget_ns > POLL_BURST_NS)
			poll_budget_ns = POLL_BURST_NS;
		last_ns = now;
		polling = next != UINT64_MAX && next <= now + early_ns && poll_budget_ns > 0;
		if (polling) {
			n = epoll_wait(ep, evs, 4, 0);
		} else {
			uint64_t armed =
			    next != UINT64_MAX && next > now + early_ns ? next - early_ns : next;

			arm(tfd, armed);
			n = epoll_wait(ep, evs, 4, -1);
			if (n == 1 && evs[0].data.u32 == 2 && armed != next) {
				uint64_t late = sys_mono_ns() - armed;

				/* Follow the tail of the lateness: up at once, down slowly. */
				if (late > early_ns)
					early_ns = late + late / 4;
				else
					early_ns -= (early_ns - SPIN_MIN_NS) / 32;
				early_ns = early_ns > SPIN_MAX_NS ? SPIN_MAX_NS : early_ns;
				early_ns = early_ns < SPIN_MIN_NS ? SPIN_MIN_NS : early_ns;
			}
		}
		if (n < 0 && errno != EINTR)
			return -errno;
		now = sys_mono_ns();
		for (int i = 0; i < n; i++) {
			uint32_t which = evs[i].data.u32;

			if (which == 3) {
				stop = true;
			} else if (which == 2) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					return -errno;
			} else {
				for (int k = 0; k < READ_BATCH; k++) {
					struct virtio_net_hdr vh;
					ssize_t len =
					    read(p->fd[which], rd, sizeof(vh) + GSO_MAX_PKT);

					if (len <= (ssize_t)sizeof(vh))
						break;
					if (!p->dir[which])
						continue;
					memcpy(&vh, rd, sizeof(vh));
					if (!++p->group[which])
						p->group[which] = 1;
					/* Each read is stamped when it happened, and what fell due
					 * meanwhile leaves before the next: a busy direction delays
					 * neither its own releases nor the other's. */
					now = sys_mono_ns();
					p->in_now_ns = now;
					if (gso_split(&vh, rd + sizeof(vh),
						      (uint32_t)(len - sizeof(vh)), p->group[which],
						      scratch, sizeof(scratch), in_packet,
						      &drop_ctx[which]) < 0)
						p->sh->unsplit[which]++;
					release_due(p, now);
				}
				if (p->dir[which])
					note_queue(p, which);
			}
		}
		if (stop)
			break;
	}
	close(tfd);
	close(ep);
	return 0;
}

/* Packets the device in namespace `ns` dropped on its way to the emulator (its transmit
 * queue was full: the emulator did not read fast enough). They never reached the model, so
 * the run reports them apart. Returns -1 when unreadable. */
static int64_t device_tx_drops(const char *ns, const char *ifname)
{
	char buf[8192], *save = NULL;
	int64_t drops = -1;

	if (sys_read_in_netns(ns, "/proc/net/dev", buf, sizeof(buf)) < 0)
		return -1;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v[12];
		char *colon = strchr(line, ':'), name[64];

		if (!colon || sscanf(line, " %63[^:]", name) != 1 || strcmp(name, ifname))
			continue;
		/* receive: bytes packets errs drop fifo frame compressed multicast; transmit:
		 * bytes packets errs drop */
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			   &v[10], &v[11]) == 12)
			drops = (int64_t)v[11];
	}
	return drops;
}

struct emulator_arg {
	const struct tun_link_config *cfg;
	int fd[2];
};

/* Keeps the first thing that went wrong, for the parent to report. */
static void emu_error(struct tun_shared *sh, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void emu_error(struct tun_shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (sh->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(sh->error, sizeof(sh->error), fmt, ap);
	va_end(ap);
}

static void emulator_main(void *arg, void *shared, int stop_fd, int ready_fd)
{
	const struct emulator_arg *ea = arg;
	const struct tun_link_config *cfg = ea->cfg;
	struct tun_shared *sh = shared;
	struct emu_proc p = {.cfg = cfg, .fd = {ea->fd[0], ea->fd[1]}, .sh = sh};
	static const char *const link_cols[] = {"t_s",		"direction",	  "queue_pkts",
						"queue_bytes",	"delivered_pkts", "delivered_mbit",
						"dropped_pkts", "capacity_mbit",  NULL};
	static const char *const drop_cols[] = {"t_s", "direction", "index", "reason", NULL};
	char path[PATH_MAX];
	int r;

	for (int d = 0; d < 2; d++)
		gso_joiner_init(&p.join[d], ea->fd[!d]);
	/* Timer slack would add up to 50 us to every release: take the timers as set. (Real-
	 * time priority was tried and made the tail worse: the packets the emulator writes are
	 * processed by softirqs that a spinning real-time task delays.) */
	prctl(PR_SET_TIMERSLACK, 1UL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);

	p.interval_ns = (uint64_t)cfg->sample_interval_ms * 1000000ull;
	if (cfg->outdir) {
		/* The run creates these too, maybe after this process starts. */
		static const char *const dirs[] = {"timeline", "events"};

		for (int i = 0; i < 2; i++) {
			if (path_fmt(path, sizeof(path), "%s/%s", cfg->outdir, dirs[i]) < 0)
				child_fail(ready_fd, "%s/%s: %s", cfg->outdir, dirs[i],
					   strerror(ENAMETOOLONG));
			sys_mkdir_p(path, 0755);
		}
		r = path_fmt(path, sizeof(path), "%s/timeline/link.csv", cfg->outdir);
		if (!r)
			r = csv_open(&p.link_csv, path, link_cols);
		if (!r) {
			r = path_fmt(path, sizeof(path), "%s/events/link_drops.csv", cfg->outdir);
			if (!r)
				r = csv_open(&p.drops_csv, path, drop_cols);
			if (r < 0)
				csv_close(&p.link_csv);
		}
		if (r < 0)
			child_fail(ready_fd, "create %s: %s", path, strerror(-r));
		p.have_csv = true;
		if (cfg->capture) {
			r = capture_open(&p.cap, cfg->outdir, cfg->capture_snaplen_bytes);
			if (r < 0)
				child_fail(ready_fd, "create %s/%s: %s", cfg->outdir, CAPTURE_FILE,
					   strerror(-r));
			p.have_cap = true;
		}
	}
	/* Ready: the run may start sending through the devices now. */
	child_ready(ready_fd);
	r = emulate(&p, stop_fd);
	if (r < 0)
		emu_error(sh, "the emulator loop failed: %s", strerror(-r));
	for (int d = 0; d < 2; d++) {
		sh->write_errors[d] = p.join[d].write_errors;
		/* Direction d's packets leave through the device in namespace d. */
		sh->device_drops[d] = device_tx_drops(cfg->ns[d], cfg->ifname);
		if (!p.dir[d])
			continue;
		emu_dir_stats(p.dir[d], &sh->stats[d]);
		emu_dir_free(p.dir[d]);
	}
	if (p.have_csv) {
		int cr = csv_close(&p.link_csv);

		if (cr < 0)
			emu_error(sh, "write timeline/link.csv: %s", strerror(-cr));
		cr = csv_close(&p.drops_csv);
		if (cr < 0)
			emu_error(sh, "write events/link_drops.csv: %s", strerror(-cr));
	}
	if (p.have_cap) {
		int cr = capture_close(&p.cap);

		sh->capture_pkts = p.cap.pkts[CAPTURE_ALL];
		sh->capture_drop_pkts = p.cap.pkts[CAPTURE_DROPS];
		sh->capture_lost_pkts = p.cap.lost[CAPTURE_ALL] + p.cap.lost[CAPTURE_DROPS];
		sh->capture_ok = cr == 0;
		if (cr < 0)
			emu_error(sh, "write %s and %s: %s", CAPTURE_FILE, CAPTURE_DROPS_FILE,
				  strerror(-cr));
	}
	sh->done = 1;
	_exit(sh->error[0] ? 1 : 0);
}

int tun_link_start(struct tun_link *l, const struct tun_link_config *cfg)
{
	struct emulator_arg ea = {.cfg = cfg, .fd = {-1, -1}};
	bool offload[2] = {false, false};
	int r = 0;

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 2; i++) {
		struct tun_open to = {.ifname = cfg->ifname};

		ea.fd[i] = sys_in_netns(cfg->ns[i], open_tun, &to);
		offload[i] = to.offload;
		if (ea.fd[i] < 0) {
			r = log_err_errno(ea.fd[i], "create TUN device %s in %s", cfg->ifname,
					  cfg->ns[i]);
			goto out;
		}
		r = configure_end(cfg->ns[i], cfg->ifname, cfg->addr[i], cfg->peer_net[i]);
		if (r < 0)
			goto out;
	}
	r = child_start(&l->proc, "the link emulator", "ccexp-link", sizeof(struct tun_shared),
			emulator_main, &ea, TUN_READY_MS);
	l->shared = l->proc.shared;
	if (l->shared)
		l->shared->offload = offload[0] && offload[1]; /* for meta.json only */
	if (r == 0)
		l->started = true;
out:
	/* Only the emulator holds the devices now: they vanish with it. */
	for (int i = 0; i < 2; i++)
		if (ea.fd[i] >= 0)
			close(ea.fd[i]);
	return r;
}

void tun_link_set_t0(struct tun_link *l, uint64_t t0_ns)
{
	if (l->shared)
		l->shared->t0_ns = t0_ns;
}

bool tun_link_alive(struct tun_link *l)
{
	return l->started && child_alive(&l->proc);
}

int tun_link_stop(struct tun_link *l)
{
	int r;

	if (!l->started)
		return 0;
	if (l->stopped)
		return l->stop_result;
	r = child_stop(&l->proc, TUN_STOP_MS);
	l->stopped = true;
	/* What the emulator itself found wrong, else how it ended. */
	if (l->shared && l->shared->error[0])
		snprintf(l->error, sizeof(l->error), "%s", l->shared->error);
	else if (r < 0)
		snprintf(l->error, sizeof(l->error), "the emulator: %s", l->proc.why);
	if (l->error[0]) {
		r = r < 0 ? r : -EIO;
		log_err("the link emulator: %s; timeline/link.csv and events/link_drops.csv are "
			"incomplete",
			l->error);
	}
	l->stop_result = r;
	return r;
}

void tun_link_free(struct tun_link *l)
{
	child_free(&l->proc);
	l->shared = NULL;
}
