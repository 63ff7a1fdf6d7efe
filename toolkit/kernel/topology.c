/* The emulated network of a run: namespaces, veth pairs, addresses, the bottleneck qdisc,
 * and the cgroup the run's sockets are created in. */
#include "kernel/topology.h"
#include "kernel/kernel.h"
#include "core/log.h"
#include "kernel/netlink.h"
#include "kernel/netns.h"
#include "kernel/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* The sender's stack must not see the bottleneck queue as its own: a qdisc on the sender's
 * own interface is throttled by TCP small queues and its drops count as local congestion.
 * So the bottleneck sits on a router between the two hosts, as on a real path. */

void topology_new_id(char *id, size_t len)
{
	unsigned char raw[CCX_RUN_ID_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, raw, sizeof(raw));
		close(fd);
	}
	if (n != (ssize_t)sizeof(raw)) {
		uint64_t x = sys_mono_ns() ^ ((uint64_t)getpid() << 20);

		memcpy(raw, &x, sizeof(raw));
	}
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < len; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

/* The run's namespaces, each with a netlink socket opened inside it. */
struct wiring {
	struct netlink nl[3];
	int fd[3]; /* /run/netns/<ns>, for a veth end created from elsewhere */
	char err[NETLINK_ERR_MAX];
};

static int add_veth(struct wiring *w, int ia, const char *a, const char *mac_a, int ib,
		    const char *b, const char *mac_b)
{
	const struct netlink_veth_end ea = {.ifname = a, .mac = mac_a, .netns_fd = w->fd[ia]};
	const struct netlink_veth_end eb = {.ifname = b, .mac = mac_b, .netns_fd = w->fd[ib]};
	/* One wire packet per skb: without it, TSO/GSO super-packets up to the tbf burst sit
	 * in the bottleneck FIFO as one entry, and queue_pkts would hold several times the
	 * bytes it says. */
	int r = netlink_veth_add(&w->nl[ia], &ea, &eb, 1, w->err, sizeof(w->err));

	if (r < 0)
		log_err("create veth pair %s - %s: %s", a, b, w->err);
	return r;
}

/* Addresses, static neighbours (no ARP on the measured path), link up. Returns the device's
 * index or -errno. */
static int setup_end(struct wiring *w, int i, const char *ifname, const char *addr, int plen,
		     const char *peer, const char *peer_mac)
{
	struct netlink *nl = &w->nl[i];
	int index, r;

	index = netlink_ifindex(nl, ifname, w->err, sizeof(w->err));
	if (index < 0) {
		r = index;
		goto fail;
	}
	r = netlink_addr_add(nl, index, addr, plen, w->err, sizeof(w->err));
	if (!r)
		r = netlink_link_up(nl, index, w->err, sizeof(w->err));
	if (!r)
		r = netlink_neigh_set(nl, index, peer, peer_mac, w->err, sizeof(w->err));
	if (!r)
		return index;
fail:
	log_err("set up %s (%s/%d): %s", ifname, addr, plen, w->err);
	return r;
}

static int add_route(struct wiring *w, int i, const char *dst, const char *gw)
{
	int r = netlink_route_add(&w->nl[i], dst, 24, gw, 0, w->err, sizeof(w->err));

	if (r < 0)
		log_err("add route %s/24 via %s: %s", dst, gw, w->err);
	return r;
}

static void wiring_close(struct wiring *w)
{
	for (int i = 0; i < 3; i++) {
		if (w->nl[i].sock)
			netlink_close(&w->nl[i]);
		if (w->fd[i] >= 0)
			close(w->fd[i]);
		w->fd[i] = -1;
	}
}

/* A namespace as `ip netns add` makes it (a bind mount under /run/netns), so that `ip netns`
 * and `ccexp cleanup` see it; then its socket and loopback. */
static int add_netns(struct wiring *w, int i, const char *ns, bool *made)
{
	char path[PATH_MAX];
	int r;

	r = netns_add(ns);
	if (r < 0)
		return log_err_errno(r, "create network namespace %s", ns);
	log_debug("created network namespace %s", ns);
	*made = true;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	w->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd[i] < 0)
		return log_err_errno(-errno, "open %s", path);
	r = netlink_open(&w->nl[i], ns, w->err, sizeof(w->err));
	if (!r)
		r = netlink_link_up(&w->nl[i], 1, w->err, sizeof(w->err)); /* lo is always 1 */
	if (r < 0)
		log_err("loopback of %s: %s", ns, w->err);
	return r;
}

int topology_claim(struct topology *t, const char *id, const char *outdir)
{
	char state[PATH_MAX + 32], *real;
	int r;

	memset(t, 0, sizeof(*t));
	if (strlen(id) != CCX_RUN_ID_LEN)
		return -EINVAL;
	snprintf(t->prefix, sizeof(t->prefix), CCX_PREFIX "%.6s", id);
	snprintf(t->ns_sender, sizeof(t->ns_sender), "%s-snd", t->prefix);
	snprintf(t->ns_router, sizeof(t->ns_router), "%s-rtr", t->prefix);
	snprintf(t->ns_receiver, sizeof(t->ns_receiver), "%s-rcv", t->prefix);
	snprintf(t->if_sender, sizeof(t->if_sender), "%.9s-s", t->prefix);
	snprintf(t->if_rtr_s, sizeof(t->if_rtr_s), "%.9s-rs", t->prefix);
	snprintf(t->if_rtr_r, sizeof(t->if_rtr_r), "%.9s-rr", t->prefix);
	snprintf(t->if_receiver, sizeof(t->if_receiver), "%.9s-r", t->prefix);
	snprintf(t->if_tun, sizeof(t->if_tun), "%.9s-t", t->prefix);

	r = sys_mkdir_p(CCX_STATE_DIR, 0755);
	if (r < 0)
		return log_err_errno(r, "create %s", CCX_STATE_DIR);
	snprintf(t->state_file, sizeof(t->state_file), CCX_STATE_DIR "/%s", t->prefix);
	/* "<pid>\n<results folder>\n": the folder as an absolute path, for a cleanup run from
	 * anywhere; left out when it cannot be one line. */
	real = outdir ? realpath(outdir, NULL) : NULL;
	if (real && !strchr(real, '\n') && strlen(real) < PATH_MAX)
		snprintf(state, sizeof(state), "%d\n%s\n", (int)getpid(), real);
	else
		snprintf(state, sizeof(state), "%d\n", (int)getpid());
	free(real);
	{
		int fd = open(t->state_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		size_t len = strlen(state);

		if (fd < 0)
			return log_err_errno(-errno, "create %s", t->state_file);
		r = 0;
		errno = 0;
		if (write(fd, state, len) != (ssize_t)len)
			r = errno ? -errno : -EIO;
		close(fd);
		t->have_state = true;
		if (r < 0) {
			log_err_errno(r, "write %s", t->state_file);
			topology_destroy(t);
		}
	}
	return r;
}

int topology_create(struct topology *t, enum topo_kind kind)
{
	const char *ns[3] = {t->ns_sender, t->ns_router, t->ns_receiver};
	struct wiring w = {.fd = {-1, -1, -1}};
	char root[PATH_MAX];
	int r;

	if (!t->have_state)
		return -EINVAL; /* topology_claim first */
	r = cgroup2_mount(root, sizeof(root));
	if (r < 0) {
		log_err("no cgroup v2 mount in /proc/mounts: the run's sockops needs one");
		goto fail;
	}
	snprintf(t->cgroup, sizeof(t->cgroup), "%.4000s/%.9s", root, t->prefix);
	if (mkdir(t->cgroup, 0755) < 0) {
		r = log_err_errno(-errno, "create cgroup %s", t->cgroup);
		goto fail;
	}
	t->have_cgroup = true;

	for (int i = 0; i < 3; i++) {
		if (i == 1 && kind != TOPO_ROUTED)
			continue;
		r = add_netns(&w, i, ns[i], &t->have_ns[i]);
		if (r < 0)
			goto fail;
		/* No router solicitations or DAD on the measured path. */
		sys_write_sysctl(ns[i], "net/ipv6/conf/all/disable_ipv6", "1");
		sys_write_sysctl(ns[i], "net/ipv6/conf/default/disable_ipv6", "1");
	}
	t->kind = kind;
	if (kind == TOPO_TUN) {
		wiring_close(&w);
		return 0; /* the tun link brings its own devices */
	}
	if (kind == TOPO_DIRECT) {
		/* One wire between the hosts: both addresses on one /15 link. */
		r = add_veth(&w, 0, t->if_sender, "02:cc:00:00:01:01", 2, t->if_receiver,
			     "02:cc:00:00:02:02");
		if (!r)
			r = setup_end(&w, 0, t->if_sender, CCX_ADDR_SENDER, 15, CCX_ADDR_RECEIVER,
				      "02:cc:00:00:02:02");
		if (r >= 0)
			r = setup_end(&w, 2, t->if_receiver, CCX_ADDR_RECEIVER, 15, CCX_ADDR_SENDER,
				      "02:cc:00:00:01:01");
		if (r < 0)
			goto fail;
		wiring_close(&w);
		return 0;
	}

	r = add_veth(&w, 0, t->if_sender, "02:cc:00:00:01:01", 1, t->if_rtr_s, "02:cc:00:00:01:02");
	if (!r)
		r = add_veth(&w, 1, t->if_rtr_r, "02:cc:00:00:02:01", 2, t->if_receiver,
			     "02:cc:00:00:02:02");
	if (!r)
		r = setup_end(&w, 0, t->if_sender, CCX_ADDR_SENDER, 24, CCX_ADDR_RTR_S,
			      "02:cc:00:00:01:02");
	if (r >= 0)
		r = setup_end(&w, 1, t->if_rtr_s, CCX_ADDR_RTR_S, 24, CCX_ADDR_SENDER,
			      "02:cc:00:00:01:01");
	if (r >= 0)
		r = setup_end(&w, 1, t->if_rtr_r, CCX_ADDR_RTR_R, 24, CCX_ADDR_RECEIVER,
			      "02:cc:00:00:02:02");
	if (r >= 0)
		r = setup_end(&w, 2, t->if_receiver, CCX_ADDR_RECEIVER, 24, CCX_ADDR_RTR_R,
			      "02:cc:00:00:02:01");
	/* Routes only for the run's own range: nothing can leave for anywhere else. */
	if (r >= 0)
		r = add_route(&w, 0, "198.19.0.0", CCX_ADDR_RTR_S);
	if (!r)
		r = add_route(&w, 2, "198.18.0.0", CCX_ADDR_RTR_R);
	if (r < 0)
		goto fail;
	r = sys_write_sysctl(t->ns_router, "net/ipv4/ip_forward", "1");
	if (r < 0) {
		log_err_errno(r, "enable forwarding in %s", t->ns_router);
		goto fail;
	}
	wiring_close(&w);
	return 0;
fail:
	wiring_close(&w);
	topology_destroy(t);
	return r < 0 ? r : -EIO;
}

int topology_enter(const struct topology *t, const char *ns)
{
	char path[PATH_MAX + 32], pid[32];
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", t->cgroup);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	r = sys_write_file(path, pid);
	if (r < 0)
		return r;
	return sys_enter_netns(ns);
}

static void empty_cgroup(const char *cgroup)
{
	char path[PATH_MAX + 32], procs[256];

	snprintf(path, sizeof(path), "%s/cgroup.kill", cgroup);
	if (sys_write_file(path, "1") < 0) {
		/* Kernels before 5.14 have no cgroup.kill: signal each member. */
		FILE *f;
		int pid;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		f = fopen(path, "re");
		if (f) {
			while (fscanf(f, "%d", &pid) == 1)
				if (pid > 0 && pid != getpid())
					kill(pid, SIGKILL);
			fclose(f);
		}
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	for (int i = 0; i < 200; i++) {
		if (sys_read_file(path, procs, sizeof(procs)) < 0 || procs[0] == '\0')
			return;
		usleep(5000);
	}
}

void topology_destroy(struct topology *t)
{
	const char *ns[3] = {t->ns_sender, t->ns_router, t->ns_receiver};

	if (t->have_cgroup) {
		empty_cgroup(t->cgroup);
		if (rmdir(t->cgroup) < 0 && errno != ENOENT)
			log_err_errno(-errno, "remove cgroup %s", t->cgroup);
		t->have_cgroup = false;
	}
	for (int i = 0; i < 3; i++) {
		if (!t->have_ns[i])
			continue;
		/* Deleting a namespace takes its veth ends, and so the peers, with it. */
		int r = netns_del(ns[i]);

		if (r < 0)
			log_err_errno(r, "remove network namespace %s", ns[i]);
		t->have_ns[i] = false;
	}
	if (t->have_state) {
		unlink(t->state_file);
		t->have_state = false;
	}
}
