/* rtnetlink through libmnl: veth pairs, addresses, routes and neighbours for a run's
 * namespaces, qdiscs on a device of a named network namespace and their statistics, with the
 * kernel's own error message (extack) handed back for the log. */
#include "kernel/netlink.h"
#include "core/log.h"
#include "kernel/sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Linux 6.6 added it after TCA_NETEM_SLOT_DIST; older uapi headers (Debian 12's) lack it. */
#define NETEM_PRNG_SEED 14
_Static_assert(TCA_NETEM_SLOT_DIST == 13, "TCA_NETEM_PRNG_SEED follows TCA_NETEM_SLOT_DIST");

/* A dump reply holds at most ~32 KiB per read; a netem request with a 4096-entry delay table
 * is ~8.3 KiB. */
#define NETLINK_RECV_BYTES 65536
#define NETLINK_SEND_BYTES 16384

#define PSCHED_NS_PER_TICK_DEFAULT 64.0
#define NETLINK_TIMEOUT_S	   5

/* In the namespace sys_in_netns visits: a socket belongs to the namespace it was made in,
 * wherever it is used later. */
static int open_socket(void *arg)
{
	struct netlink *nl = arg;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	return nl->sock ? 0 : -errno;
}

int netlink_open(struct netlink *nl, const char *ns, char *err, size_t errlen)
{
	struct timeval timeout = {.tv_sec = NETLINK_TIMEOUT_S};
	int one = 1, r;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NETLINK_RECV_BYTES);
	if (!nl->buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = sys_in_netns(ns, open_socket, nl);
	if (r < 0) {
		snprintf(err, errlen, "netlink socket%s%s: %s", ns ? " in network namespace " : "",
			 ns ? ns : "", strerror(-r));
		goto fail;
	}
	/* The kernel's reason comes with an error; an ACK need not repeat our request. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A reply that never comes must not hang a run. */
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "bind netlink socket: %s", strerror(-r));
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
fail:
	netlink_close(nl);
	return r;
}

void netlink_close(struct netlink *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	free(nl->buf);
	nl->buf = NULL;
}

/* --- request and reply ------------------------------------------------------------------- */

struct talk {
	mnl_cb_t cb; /* for each reply that is not an ACK or error; may be NULL */
	void *cb_data;
	int error; /* the kernel's answer, -errno */
	char *err;
	size_t errlen;
};

static int on_reply(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->cb_data) : MNL_CB_OK;
}

/* The extack attributes follow the error and the echoed request (or only its header, when
 * the kernel capped the echo). */
static void copy_extack(const struct nlmsghdr *nlh, const struct nlmsgerr *e, struct talk *t)
{
	size_t off = sizeof(*e);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += MNL_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(t->err, t->errlen, "%s", mnl_attr_get_str(attr));
			return;
		}
	}
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP; /* the ACK */
	t->error = e->error < 0 ? e->error : -e->error;
	copy_extack(nlh, e, t);
	return MNL_CB_ERROR;
}

/* The end of a dump; an error found while dumping comes in it, with its own extack. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error == 0)
		return MNL_CB_STOP;
	t->error = error < 0 ? error : -error;
	return MNL_CB_ERROR;
}

/* Sends one request and reads until its ACK, its error or the end of its dump. Returns 0 or
 * -errno; err holds the kernel's message, or strerror when it gave none. */
static int talk(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *cb_data, char *err,
		size_t errlen)
{
	/* libmnl skips a control message whose slot here is empty, NLMSG_DONE included. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = on_error, [NLMSG_DONE] = on_done};
	struct talk t = {.cb = cb, .cb_data = cb_data, .err = err, .errlen = errlen};
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	if (errlen)
		err[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		snprintf(err, errlen, "send: %s", strerror(-r));
		return r;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, NETLINK_RECV_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "receive: %s",
				 r == -EAGAIN ? "no answer from the kernel" : strerror(-r));
			return r;
		}
		r = mnl_cb_run2(nl->buf, (size_t)n, seq, nl->portid, on_reply, &t, ctl,
				NLMSG_MIN_TYPE);
		if (r <= MNL_CB_STOP)
			break;
	}
	if (r == MNL_CB_ERROR && !t.error)
		t.error = errno ? -errno : -EIO;
	if (t.error && errlen && !err[0])
		snprintf(err, errlen, "%s", strerror(-t.error));
	return t.error;
}

static struct nlmsghdr *new_request(void *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

/* --- devices ------------------------------------------------------------------------------ */

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

int netlink_ifindex(struct netlink *nl, const char *ifname, char *err, size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh = new_request(buf, RTM_GETLINK, NLM_F_ACK, ++nl->seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int index = 0, r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	r = talk(nl, nlh, on_link, &index, err, errlen);
	if (r < 0)
		return r;
	if (index <= 0) {
		snprintf(err, errlen, "no device %s", ifname);
		return -ENODEV;
	}
	return index;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int parse_ipv4(const char *s, struct in_addr *a, char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, a) == 1)
		return 0;
	snprintf(err, errlen, "not an IPv4 address: %s", s);
	return -EINVAL;
}

/* The attributes of one veth end: in the request's own ifinfomsg for the first, inside
 * VETH_INFO_PEER for the second. */
static int put_veth_end(struct nlmsghdr *nlh, const struct netlink_veth_end *e, uint32_t gso_segs,
			char *err, size_t errlen)
{
	uint8_t mac[6];

	if (parse_mac(e->mac, mac) < 0) {
		snprintf(err, errlen, "not a MAC address: %s", e->mac);
		return -EINVAL;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, e->ifname);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)e->netns_fd);
	if (gso_segs)
		mnl_attr_put_u32(nlh, IFLA_GSO_MAX_SEGS, gso_segs);
	return 0;
}

int netlink_veth_add(struct netlink *nl, const struct netlink_veth_end *a,
		     const struct netlink_veth_end *b, uint32_t gso_max_segs, char *err,
		     size_t errlen)
{
	char buf[1024];
	struct nlmsghdr *nlh =
	    new_request(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++nl->seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pifi;
	int r;

	ifi->ifi_family = AF_UNSPEC;
	r = put_veth_end(nlh, a, gso_max_segs, err, errlen);
	if (r < 0)
		return r;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	r = put_veth_end(nlh, b, gso_max_segs, err, errlen);
	if (r < 0)
		return r;
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

int netlink_link_up(struct netlink *nl, int ifindex, char *err, size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh = new_request(buf, RTM_NEWLINK, NLM_F_ACK, ++nl->seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

int netlink_addr_add(struct netlink *nl, int ifindex, const char *addr, int plen, char *err,
		     size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh =
	    new_request(buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++nl->seq);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct in_addr a;
	int r;

	r = parse_ipv4(addr, &a, err, errlen);
	if (r < 0)
		return r;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* As ip(8) sends it: local and peer address the same on a broadcast link. */
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

int netlink_route_add(struct netlink *nl, const char *dst, int plen, const char *gw, int oif,
		      char *err, size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh =
	    new_request(buf, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++nl->seq);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct in_addr d, g;
	int r;

	r = parse_ipv4(dst, &d, err, errlen);
	if (!r && gw && gw[0])
		r = parse_ipv4(gw, &g, err, errlen);
	if (r < 0)
		return r;
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT; /* what `ip route add` marks its routes with */
	/* A route out of a device with no gateway reaches its hosts directly. */
	rtm->rtm_scope = gw && gw[0] ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sizeof(d), &d);
	if (gw && gw[0])
		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(g), &g);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

int netlink_neigh_set(struct netlink *nl, int ifindex, const char *addr, const char *mac, char *err,
		      size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh =
	    new_request(buf, RTM_NEWNEIGH, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, ++nl->seq);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	struct in_addr a;
	uint8_t lladdr[6];
	int r;

	r = parse_ipv4(addr, &a, err, errlen);
	if (r < 0)
		return r;
	if (parse_mac(mac, lladdr) < 0) {
		snprintf(err, errlen, "not a MAC address: %s", mac);
		return -EINVAL;
	}
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, sizeof(a), &a);
	mnl_attr_put(nlh, NDA_LLADDR, sizeof(lladdr), lladdr);
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

/* --- units --------------------------------------------------------------------------------- */

uint32_t netlink_prob(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return UINT32_MAX;
	return (uint32_t)rint(p * UINT32_MAX);
}

/* iproute2's relation: ticks per microsecond = t2us / us2t x clock_res / 10^6, from the first
 * three words of /proc/net/psched. */
static double ns_per_tick(void)
{
	static double cached;
	unsigned int t2us, us2t, clock_res;
	char buf[128];
	double per_us;

	if (cached > 0)
		return cached;
	cached = PSCHED_NS_PER_TICK_DEFAULT;
	if (sys_read_file("/proc/net/psched", buf, sizeof(buf)) == 0 &&
	    sscanf(buf, "%x %x %x", &t2us, &us2t, &clock_res) == 3 && t2us && us2t && clock_res) {
		if (clock_res == 1000000000)
			t2us = us2t;
		per_us = (double)t2us / us2t * (clock_res / 1e6);
		if (per_us > 0)
			cached = 1000.0 / per_us;
	}
	return cached;
}

uint32_t netlink_ns_to_ticks(uint64_t ns)
{
	double ticks = (double)ns / ns_per_tick();

	return ticks >= UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
}

void netlink_handle_str(uint32_t handle, char *buf, size_t len)
{
	if (handle == NETLINK_ROOT)
		snprintf(buf, len, "root");
	else if (handle & 0xffff)
		snprintf(buf, len, "%x:%x", handle >> 16, handle & 0xffff);
	else
		snprintf(buf, len, "%x:", handle >> 16);
}

const char *netlink_kind_name(enum netlink_qdisc_kind kind)
{
	switch (kind) {
	case NETLINK_TBF:
		return "tbf";
	case NETLINK_PFIFO:
		return "pfifo";
	case NETLINK_BFIFO:
		return "bfifo";
	case NETLINK_NETEM:
		return "netem";
	}
	return "?";
}

/* --- qdiscs -------------------------------------------------------------------------------- */

/* TCA_OPTIONS as tc writes it: no NLA_F_NESTED, so the kernel's parsers of every age take it,
 * and netem's fixed struct leads its attributes. */
static struct nlattr *options_begin(struct nlmsghdr *nlh, const void *head, size_t head_len)
{
	struct nlattr *start = mnl_nlmsg_get_payload_tail(nlh);

	start->nla_type = TCA_OPTIONS;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	if (head_len)
		memcpy(mnl_nlmsg_put_extra_header(nlh, head_len), head, head_len);
	return start; /* its length is set when the nest ends */
}

static void put_tbf(struct nlmsghdr *nlh, const struct netlink_tbf *t)
{
	struct tc_tbf_qopt q = {0};
	struct nlattr *opts;
	double burst_ns = (double)t->burst_bytes * 1e9 / (double)t->rate_bytes_ps;

	/* With the link layer given, tbf needs no rate table: it only looks at one to guess
	 * whether an old tc meant ATM cells. */
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = t->rate_bytes_ps >= UINT32_MAX ? UINT32_MAX : (uint32_t)t->rate_bytes_ps;
	q.limit = t->limit_bytes;
	q.buffer = netlink_ns_to_ticks((uint64_t)burst_ns);
	opts = options_begin(nlh, NULL, 0);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	if (t->rate_bytes_ps >= UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, t->rate_bytes_ps);
	/* The bucket in bytes, exactly, rather than as a time in ticks (Linux 3.13 on; older
	 * kernels use the buffer above). */
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, t->burst_bytes);
	mnl_attr_nest_end(nlh, opts);
}

static void put_netem(struct nlmsghdr *nlh, const struct netlink_netem *n)
{
	struct tc_netem_qopt q = {0};
	struct nlattr *opts, *loss;

	/* The 32-bit tick fields for kernels before 4.15; the 64-bit ns attributes win after. */
	q.latency = netlink_ns_to_ticks(n->latency_ns);
	q.jitter = netlink_ns_to_ticks(n->jitter_ns);
	q.limit = n->limit_pkts;
	q.loss = n->gilbert_elliott ? 0 : netlink_prob(n->loss);
	opts = options_begin(nlh, &q, sizeof(q));
	mnl_attr_put_u64(nlh, TCA_NETEM_LATENCY64, n->latency_ns);
	mnl_attr_put_u64(nlh, TCA_NETEM_JITTER64, n->jitter_ns);
	if (n->dist && n->dist_len)
		mnl_attr_put(nlh, TCA_NETEM_DELAY_DIST, n->dist_len * sizeof(n->dist[0]), n->dist);
	if (n->rate_bytes_ps) {
		struct tc_netem_rate rate = {0};

		rate.rate =
		    n->rate_bytes_ps >= UINT32_MAX ? UINT32_MAX : (uint32_t)n->rate_bytes_ps;
		mnl_attr_put(nlh, TCA_NETEM_RATE, sizeof(rate), &rate);
		if (n->rate_bytes_ps >= UINT32_MAX)
			mnl_attr_put_u64(nlh, TCA_NETEM_RATE64, n->rate_bytes_ps);
	}
	if (n->gilbert_elliott) {
		/* sch_netem.c loss_gilb_ell(): in the good state the packet is lost when a draw
		 * is below k1, in the bad state when it is above h; p and r move between the
		 * states. So k1 is the good state's loss and h the bad state's delivery. */
		struct tc_netem_gemodel ge = {
		    .p = netlink_prob(n->ge_p),
		    .r = netlink_prob(n->ge_r),
		    .h = UINT32_MAX - netlink_prob(n->ge_loss_bad),
		    .k1 = netlink_prob(n->ge_loss_good),
		};

		loss = mnl_attr_nest_start(nlh, TCA_NETEM_LOSS);
		mnl_attr_put(nlh, NETEM_LOSS_GE, sizeof(ge), &ge);
		mnl_attr_nest_end(nlh, loss);
	}
	if (n->have_seed)
		mnl_attr_put_u64(nlh, NETEM_PRNG_SEED, n->seed);
	mnl_attr_nest_end(nlh, opts);
}

struct nlmsghdr *netlink_qdisc_request(void *buf, size_t len, int ifindex,
				       const struct netlink_qdisc *q, uint32_t seq)
{
	size_t need = 1024;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	if (q->kind == NETLINK_NETEM)
		need += (size_t)q->netem.dist_len * sizeof(int16_t);
	if (q->kind == NETLINK_NETEM && q->netem.dist_len > NETEM_DIST_MAX)
		return NULL;
	if (q->kind == NETLINK_TBF && (!q->tbf.rate_bytes_ps || !q->tbf.burst_bytes))
		return NULL;
	if (len < need)
		return NULL;
	memset(buf, 0, need);
	nlh = new_request(buf, RTM_NEWQDISC, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = q->handle;
	tcm->tcm_parent = q->parent;
	mnl_attr_put_strz(nlh, TCA_KIND, netlink_kind_name(q->kind));
	if (q->size_overhead) {
		/* tbf's own overhead field is unsigned in the kernel: only a size table can take
		 * bytes off. Without a table (tsize 0) it is a plain length + overhead. */
		struct tc_sizespec size = {.overhead = q->size_overhead};
		struct nlattr *stab = mnl_attr_nest_start(nlh, TCA_STAB);

		mnl_attr_put(nlh, TCA_STAB_BASE, sizeof(size), &size);
		mnl_attr_nest_end(nlh, stab);
	}
	switch (q->kind) {
	case NETLINK_TBF:
		put_tbf(nlh, &q->tbf);
		break;
	case NETLINK_PFIFO:
	case NETLINK_BFIFO: {
		struct tc_fifo_qopt fifo = {.limit = q->fifo_limit};

		mnl_attr_put(nlh, TCA_OPTIONS, sizeof(fifo), &fifo);
		break;
	}
	case NETLINK_NETEM:
		put_netem(nlh, &q->netem);
		break;
	}
	return nlh;
}

int netlink_qdisc_add(struct netlink *nl, int ifindex, const struct netlink_qdisc *q, char *err,
		      size_t errlen)
{
	static char buf[NETLINK_SEND_BYTES];
	struct nlmsghdr *nlh = netlink_qdisc_request(buf, sizeof(buf), ifindex, q, ++nl->seq);

	if (!nlh) {
		snprintf(err, errlen, "invalid %s parameters", netlink_kind_name(q->kind));
		return -EINVAL;
	}
	return talk(nl, nlh, NULL, NULL, err, errlen);
}

/* --- statistics ---------------------------------------------------------------------------- */

struct stats_dump {
	int ifindex;
	struct netlink_qdisc_stats *out;
	int max, n;
};

static void read_stats2(const struct nlattr *stats2, struct netlink_qdisc_stats *s)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, stats2)
	{
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case TCA_STATS_BASIC: {
			struct gnet_stats_basic b = {0};

			memcpy(&b, mnl_attr_get_payload(a), len < sizeof(b) ? len : sizeof(b));
			s->bytes = b.bytes;
			/* The u32 count wraps; TCA_STATS_PKT64 then follows with the full one. */
			if (s->packets < b.packets)
				s->packets = b.packets;
			break;
		}
		case TCA_STATS_PKT64:
			if (len >= sizeof(uint64_t))
				s->packets = mnl_attr_get_u64(a);
			break;
		case TCA_STATS_QUEUE: {
			struct gnet_stats_queue q = {0};

			memcpy(&q, mnl_attr_get_payload(a), len < sizeof(q) ? len : sizeof(q));
			s->qlen = q.qlen;
			s->backlog = q.backlog;
			s->drops = q.drops;
			s->requeues = q.requeues;
			s->overlimits = q.overlimits;
			break;
		}
		default:
			break;
		}
	}
}

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct stats_dump *d = data;
	struct netlink_qdisc_stats s = {0};
	const struct nlattr *a;

	/* Older kernels dump every device's qdiscs whatever the request names. */
	if (nlh->nlmsg_type != RTM_NEWQDISC || tcm->tcm_ifindex != d->ifindex)
		return MNL_CB_OK;
	s.handle = tcm->tcm_handle;
	s.parent = tcm->tcm_parent;
	mnl_attr_for_each(a, nlh, sizeof(*tcm))
	{
		if (mnl_attr_get_type(a) == TCA_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(s.kind, sizeof(s.kind), "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == TCA_STATS2)
			read_stats2(a, &s);
	}
	if (d->n < d->max)
		d->out[d->n] = s;
	d->n++;
	return MNL_CB_OK;
}

int netlink_qdisc_stats(struct netlink *nl, int ifindex, struct netlink_qdisc_stats *out, int max,
			char *err, size_t errlen)
{
	char buf[256];
	struct nlmsghdr *nlh = new_request(buf, RTM_GETQDISC, NLM_F_DUMP, ++nl->seq);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	struct stats_dump d = {.ifindex = ifindex, .out = out, .max = max};
	int r;

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	/* Children their parent made itself (tbf's default bfifo) are hidden without this. */
	mnl_attr_put(nlh, TCA_DUMP_INVISIBLE, 0, NULL);
	r = talk(nl, nlh, on_qdisc, &d, err, errlen);
	return r < 0 ? r : d.n;
}
