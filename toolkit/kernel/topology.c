/* The emulated network of a run: namespaces, veth pairs, addresses, the bottleneck qdisc,
 * and the cgroup the run's sockets are created in. */
#include "kernel/topology.h"
#include "kernel/kernel.h"
#include "core/log.h"
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

#define RUN(...)                                                                                   \
	do {                                                                                       \
		const char *const _argv[] = {__VA_ARGS__, NULL};                                   \
		r = sys_run(_argv);                                                                \
		if (r < 0)                                                                         \
			goto fail;                                                                 \
	} while (0)

static int add_veth(const char *a, const char *mac_a, const char *ns_a, const char *b,
		    const char *mac_b, const char *ns_b)
{
	const char *const argv[] = {"ip",      "link", "add",	"name", a,	"address", mac_a,
				    "netns",   ns_a,   "type",	"veth", "peer", "name",	   b,
				    "address", mac_b,  "netns", ns_b,	NULL};

	return sys_run(argv);
}

/* Addresses, static neighbours (no ARP on the measured path), link up. */
static int setup_end(const char *ns, const char *ifname, const char *addr, int plen,
		     const char *peer, const char *peer_mac)
{
	char cidr[32];
	int r;

	snprintf(cidr, sizeof(cidr), "%s/%d", addr, plen);
	/* One wire packet per skb: without it, TSO/GSO super-packets up to the tbf burst sit
	 * in the bottleneck FIFO as one entry, and queue_pkts would hold several times the
	 * bytes it says. */
	RUN("ip", "-n", ns, "link", "set", "dev", ifname, "gso_max_segs", "1");
	RUN("ip", "-n", ns, "addr", "add", cidr, "dev", ifname);
	RUN("ip", "-n", ns, "link", "set", "dev", ifname, "up");
	RUN("ip", "-n", ns, "neigh", "replace", peer, "lladdr", peer_mac, "dev", ifname, "nud",
	    "permanent");
	return 0;
fail:
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
		RUN("ip", "netns", "add", ns[i]);
		t->have_ns[i] = true;
		RUN("ip", "-n", ns[i], "link", "set", "dev", "lo", "up");
		/* No router solicitations or DAD on the measured path. */
		sys_write_sysctl(ns[i], "net/ipv6/conf/all/disable_ipv6", "1");
		sys_write_sysctl(ns[i], "net/ipv6/conf/default/disable_ipv6", "1");
	}
	t->kind = kind;
	if (kind == TOPO_TUN)
		return 0; /* the tun link brings its own devices */
	if (kind == TOPO_DIRECT) {
		/* One wire between the hosts: both addresses on one /15 link. */
		r = add_veth(t->if_sender, "02:cc:00:00:01:01", t->ns_sender, t->if_receiver,
			     "02:cc:00:00:02:02", t->ns_receiver);
		if (!r)
			r = setup_end(t->ns_sender, t->if_sender, CCX_ADDR_SENDER, 15,
				      CCX_ADDR_RECEIVER, "02:cc:00:00:02:02");
		if (!r)
			r = setup_end(t->ns_receiver, t->if_receiver, CCX_ADDR_RECEIVER, 15,
				      CCX_ADDR_SENDER, "02:cc:00:00:01:01");
		if (r < 0)
			goto fail;
		return 0;
	}

	r = add_veth(t->if_sender, "02:cc:00:00:01:01", t->ns_sender, t->if_rtr_s,
		     "02:cc:00:00:01:02", t->ns_router);
	if (r < 0)
		goto fail;
	r = add_veth(t->if_rtr_r, "02:cc:00:00:02:01", t->ns_router, t->if_receiver,
		     "02:cc:00:00:02:02", t->ns_receiver);
	if (r < 0)
		goto fail;

	r = setup_end(t->ns_sender, t->if_sender, CCX_ADDR_SENDER, 24, CCX_ADDR_RTR_S,
		      "02:cc:00:00:01:02");
	if (!r)
		r = setup_end(t->ns_router, t->if_rtr_s, CCX_ADDR_RTR_S, 24, CCX_ADDR_SENDER,
			      "02:cc:00:00:01:01");
	if (!r)
		r = setup_end(t->ns_router, t->if_rtr_r, CCX_ADDR_RTR_R, 24, CCX_ADDR_RECEIVER,
			      "02:cc:00:00:02:02");
	if (!r)
		r = setup_end(t->ns_receiver, t->if_receiver, CCX_ADDR_RECEIVER, 24, CCX_ADDR_RTR_R,
			      "02:cc:00:00:02:01");
	if (r < 0)
		goto fail;
	/* Routes only for the run's own range: nothing can leave for anywhere else. */
	RUN("ip", "-n", t->ns_sender, "route", "add", "198.19.0.0/24", "via", CCX_ADDR_RTR_S);
	RUN("ip", "-n", t->ns_receiver, "route", "add", "198.18.0.0/24", "via", CCX_ADDR_RTR_R);
	r = sys_write_sysctl(t->ns_router, "net/ipv4/ip_forward", "1");
	if (r < 0) {
		log_err_errno(r, "enable forwarding in %s", t->ns_router);
		goto fail;
	}
	return 0;
fail:
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
		const char *const argv[] = {"ip", "netns", "del", ns[i], NULL};

		/* Deleting a namespace takes its veth ends, and so the peers, with it. */
		sys_run(argv);
		t->have_ns[i] = false;
	}
	if (t->have_state) {
		unlink(t->state_file);
		t->have_state = false;
	}
}
