/* `ccexp check`: try each kernel feature ccexp uses, report what is missing, leave nothing. */
#include "kernel/cc.h"
#include "kernel/kernel.h"
#include "link/link.h"
#include "kernel/sys.h"
#include "commands.h"
#include "core/json.h"
#include "core/log.h"
#include "core/words.h"
#include "ccx_version.h"
#include "probe_cc.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CAP_BPF
#define CAP_BPF 39 /* Linux 5.8; older userspace headers lack it */
#endif

#define TCP_CC_ALLOWED "/proc/sys/net/ipv4/tcp_allowed_congestion_control"

enum check_status {
	CHECK_OK,
	CHECK_WARN,
	CHECK_MISSING,
};

static const char *const status_word[] = {"OK", "WARN", "MISSING"};
static const char *const status_json[] = {"ok", "warn", "missing"};

/* What the probes learn besides their own line; --json reports it as top-level fields. */
struct check_ctx {
	struct utsname uts;
	char cgroup2[PATH_MAX];
	bool have_cgroup2;
	int hz;
	const char *hz_source;
	char cc_available[1024];
	char cc_allowed[1024];
};

struct check;
typedef void (*probe_fn)(struct check *c, struct check_ctx *ctx, const void *arg);

struct check {
	const char *name;
	bool required; /* `ccexp run` cannot work without it */
	const char *without;
	probe_fn fn;
	const void *arg;
	enum check_status status;
	char detail[320];
};

/* Every scratch object is named ccxchk<probe_pid>; forked children keep the parent's value so
 * that all objects of one `ccexp check` share one name. */
static pid_t probe_pid;

static void check_set(struct check *c, enum check_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check_set(struct check *c, enum check_status status, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void strip_output(char *s)
{
	size_t n;

	s += strspn(s, "\n");
	s[strcspn(s, "\n")] = '\0';
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * Runs argv (no shell) and waits. Returns 0 on exit status 0, -ENOENT when the program is not
 * installed, -EIO when it failed; msg then holds "argv0 argv1 argv2: first line of its output".
 */
static int run_cmd(const char *const argv[], char *msg, size_t len)
{
	char out[512];
	int r = sys_run_capture(argv, out, sizeof(out));

	if (r == 0)
		return 0;
	strip_output(out);
	snprintf(msg, len, "%s %s %s: %s", argv[0], argv[1] ? argv[1] : "",
		 argv[1] && argv[2] ? argv[2] : "", out[0] ? out : "failed");
	return r;
}

static void probe_kernel(struct check *c, struct check_ctx *ctx, const void *arg)
{
	check_set(c, CHECK_OK, "Linux %s %s", ctx->uts.release, ctx->uts.machine);
}

static void probe_libbpf(struct check *c, struct check_ctx *ctx, const void *arg)
{
	check_set(c, CHECK_OK, "%u.%u (built against %s)", libbpf_major_version(),
		  libbpf_minor_version(), CCX_LIBBPF_VERSION);
}

static bool cap_effective(const struct __user_cap_data_struct *data, int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

static void probe_privileges(struct check *c, struct check_ctx *ctx, const void *arg)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};
	bool bpf, net_admin, sys_admin;
	char who[32];

	if (syscall(SYS_capget, &hdr, data) < 0) {
		check_set(c, CHECK_MISSING, "capget: %s", strerror(errno));
		return;
	}
	sys_admin = cap_effective(data, CAP_SYS_ADMIN);
	/* Before 5.8 CAP_SYS_ADMIN was what BPF asked for. */
	bpf = cap_effective(data, CAP_BPF) || sys_admin;
	net_admin = cap_effective(data, CAP_NET_ADMIN);
	if (geteuid() == 0)
		snprintf(who, sizeof(who), "root");
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned)geteuid());
	if (!bpf || !net_admin)
		check_set(c, CHECK_MISSING, "%s without%s%s", who, bpf ? "" : " CAP_BPF",
			  net_admin ? "" : " CAP_NET_ADMIN");
	else if (!sys_admin)
		/* unshare(CLONE_NEWNET) and mounts need it; the netns probe shows the effect. */
		check_set(c, CHECK_WARN, "%s with CAP_BPF CAP_NET_ADMIN but not CAP_SYS_ADMIN",
			  who);
	else
		check_set(c, CHECK_OK, "%s (CAP_BPF CAP_NET_ADMIN CAP_SYS_ADMIN effective)", who);
}

/* r0 = 1; exit. Accepts one byte as a socket filter, "success" as a sockops program. */
static const struct bpf_insn return_one[] = {
    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
    {.code = BPF_JMP | BPF_EXIT},
};

static void probe_bpf_syscall(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char name[BPF_OBJ_NAME_LEN], jit[16] = "";
	int map_fd = -1, prog_fd = -1, r;

	snprintf(name, sizeof(name), "ccxchk%d", (int)probe_pid);
	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), sizeof(__u64), 1, NULL);
	if (map_fd < 0) {
		r = map_fd;
		check_set(c, CHECK_MISSING, "BPF_MAP_CREATE: %s", strerror(-r));
		goto cleanup;
	}
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", return_one,
				sizeof(return_one) / sizeof(return_one[0]), NULL);
	if (prog_fd < 0) {
		r = prog_fd;
		check_set(c, CHECK_MISSING, "BPF_PROG_LOAD socket filter: %s", strerror(-r));
		goto cleanup;
	}
	/* struct_ops needs the JIT, so say whether it is on. */
	sys_read_file("/proc/sys/net/core/bpf_jit_enable", jit, sizeof(jit));
	check_set(c, CHECK_OK, "array map and socket filter loaded (bpf_jit_enable=%s)",
		  jit[0] ? jit : "?");
cleanup:
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
}

static void probe_btf(struct check *c, struct check_ctx *ctx, const void *arg)
{
	static const char *const needed[] = {"tcp_congestion_ops", "bpf_sock_ops", "tcp_sock"};
	struct btf *btf;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		check_set(c, CHECK_MISSING, "/sys/kernel/btf/vmlinux: %s", strerror(errno));
		return;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		check_set(c, CHECK_MISSING, "libbpf cannot parse /sys/kernel/btf/vmlinux: %s",
			  strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (btf__find_by_name_kind(btf, needed[i], BTF_KIND_STRUCT) < 0) {
			check_set(c, CHECK_MISSING, "vmlinux BTF has no struct %s", needed[i]);
			btf__free(btf);
			return;
		}
	}
	check_set(c, CHECK_OK, "/sys/kernel/btf/vmlinux parsed, %u types", btf__type_cnt(btf));
	btf__free(btf);
}

static void probe_cgroup2(struct check *c, struct check_ctx *ctx, const void *arg)
{
	int r;

	r = cgroup2_mount(ctx->cgroup2, sizeof(ctx->cgroup2));
	if (r == -ENOENT) {
		check_set(c, CHECK_MISSING, "no cgroup2 mount in /proc/mounts");
		return;
	}
	if (r) {
		check_set(c, CHECK_MISSING, "/proc/mounts: %s", strerror(-r));
		return;
	}
	ctx->have_cgroup2 = true;
	check_set(c, CHECK_OK, "mounted at %s", ctx->cgroup2);
}

static void probe_sockops(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char path[PATH_MAX + 32], name[BPF_OBJ_NAME_LEN];
	int cg_fd = -1, prog_fd = -1, link_fd = -1, r;
	bool made = false;

	if (!ctx->have_cgroup2) {
		check_set(c, CHECK_MISSING, "needs a cgroup2 mount");
		return;
	}
	snprintf(path, sizeof(path), "%s/ccxchk%d", ctx->cgroup2, (int)probe_pid);
	snprintf(name, sizeof(name), "ccxchk%d", (int)probe_pid);
	/* Only a dead process with our pid can have left this: it is ours to reuse. */
	if (mkdir(path, 0755) < 0 && !(errno == EEXIST && rmdir(path) == 0 && !mkdir(path, 0755))) {
		check_set(c, CHECK_MISSING, "mkdir %s: %s", path, strerror(errno));
		return;
	}
	made = true;
	cg_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		check_set(c, CHECK_MISSING, "open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCK_OPS, name, "GPL", return_one,
				sizeof(return_one) / sizeof(return_one[0]), NULL);
	if (prog_fd < 0) {
		check_set(c, CHECK_MISSING, "BPF_PROG_LOAD sockops: %s", strerror(-prog_fd));
		goto cleanup;
	}
	link_fd = bpf_link_create(prog_fd, cg_fd, BPF_CGROUP_SOCK_OPS, NULL);
	if (link_fd < 0) {
		r = link_fd;
		check_set(c, CHECK_MISSING, "BPF_LINK_CREATE BPF_CGROUP_SOCK_OPS on %s: %s", path,
			  strerror(-r));
		goto cleanup;
	}
	check_set(c, CHECK_OK, "sockops program attached with a bpf_link to scratch cgroup %s",
		  path);
cleanup:
	/* Closing the only link fd detaches the program before the cgroup goes. */
	if (link_fd >= 0)
		close(link_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	if (cg_fd >= 0)
		close(cg_fd);
	if (made && rmdir(path) < 0)
		check_set(c, CHECK_MISSING, "rmdir %s: %s (remove it by hand)", path,
			  strerror(errno));
}

/* The probe registers ccxchk<pid>: two `ccexp check` at once do not collide on one name. The
 * slot must match CCXCHK_NAME_SLOT in bpf/probe_cc.bpf.c. */
static const struct cc_object probe_cc_object = {"probe_cc", ccx_probe_cc__elf_bytes,
						 "ccxchk?nameslot"};

static int tcp_cc_listed(const char *name, bool *listed)
{
	char list[1024];
	int r;

	r = sys_read_file(TCP_CC_AVAILABLE_PATH, list, sizeof(list));
	if (r == 0)
		*listed = words_contain(list, name);
	return r;
}

static void probe_struct_ops(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char cc_name[CC_NAME_MAX], got[CC_NAME_MAX] = "", msg[256];
	socklen_t got_len = sizeof(got);
	struct cc_registration reg;
	bool listed = false, via_link;
	int sock = -1, r;

	snprintf(cc_name, sizeof(cc_name), "ccxchk%d", (int)probe_pid);
	r = cc_register_object(&reg, &probe_cc_object, cc_name, NULL, msg, sizeof(msg));
	if (r) {
		check_set(c, CHECK_MISSING, "%s", msg);
		return;
	}
	r = tcp_cc_listed(cc_name, &listed);
	if (r || !listed) {
		check_set(c, CHECK_MISSING, "%s registered but not in %s", cc_name,
			  TCP_CC_AVAILABLE_PATH);
		goto cleanup;
	}
	/* A flow can only use it if a socket accepts it; this one never connects. */
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || setsockopt(sock, IPPROTO_TCP, TCP_CONGESTION, cc_name, strlen(cc_name)) ||
	    getsockopt(sock, IPPROTO_TCP, TCP_CONGESTION, got, &got_len)) {
		check_set(c, CHECK_MISSING, "%s registered, but a socket cannot select it: %s",
			  cc_name, strerror(errno));
		goto cleanup;
	}
	if (strncmp(got, cc_name, sizeof(got))) {
		check_set(c, CHECK_MISSING,
			  "%s registered, but a socket that selects it reports %.16s", cc_name,
			  got);
		goto cleanup;
	}
	close(sock);
	sock = -1;
	via_link = reg.via_link;
	cc_unregister(&reg);
	if (tcp_cc_listed(cc_name, &listed) || listed) {
		check_set(c, CHECK_MISSING, "%s still listed after unregistering", cc_name);
		goto cleanup;
	}
	check_set(c, CHECK_OK, "%s registered%s, listed, selected by a socket, unregistered",
		  cc_name,
		  via_link ? " through a bpf_link"
			   : " by map update (no BPF_F_LINK: a killed run "
			     "leaves it registered)");
cleanup:
	if (sock >= 0)
		close(sock);
	cc_unregister(&reg);
}

/* Loads only the chosen tracing program of the probe object and attaches it. */
static int attach_tracing_prog(bool tp_btf, char *msg, size_t len)
{
	struct bpf_program *want, *other;
	struct bpf_link *link = NULL;
	struct ccx_probe_cc *skel;
	int r;

	skel = ccx_probe_cc__open();
	if (!skel) {
		r = -errno;
		snprintf(msg, len, "open probe object: %s", strerror(-r));
		return r;
	}
	want = tp_btf ? skel->progs.ccxchk_tp_btf : skel->progs.ccxchk_tracepoint;
	other = tp_btf ? skel->progs.ccxchk_tracepoint : skel->progs.ccxchk_tp_btf;
	bpf_program__set_autoload(skel->progs.ccxchk_ssthresh, false);
	bpf_program__set_autoload(skel->progs.ccxchk_undo_cwnd, false);
	bpf_program__set_autoload(skel->progs.ccxchk_cong_avoid, false);
	bpf_program__set_autoload(other, false);
	/* Without its programs the struct_ops map must not be created either. */
	bpf_map__set_autocreate(skel->maps.ccxchk, false);
	r = ccx_probe_cc__load(skel);
	if (r) {
		snprintf(msg, len, "load %s: %s", bpf_program__section_name(want), strerror(-r));
		goto cleanup;
	}
	link = bpf_program__attach(want);
	if (!link) {
		r = -errno;
		snprintf(msg, len, "attach %s: %s", bpf_program__section_name(want), strerror(-r));
		goto cleanup;
	}
	r = 0;
cleanup:
	bpf_link__destroy(link);
	ccx_probe_cc__destroy(skel);
	return r;
}

static void probe_tp_btf(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char msg[256];

	if (attach_tracing_prog(true, msg, sizeof(msg)))
		check_set(c, CHECK_MISSING, "%s", msg);
	else
		check_set(c, CHECK_OK, "tp_btf/tcp_probe loaded and attached");
}

static int tracepoint_with_private_tracefs(const void *arg, char *msg, size_t len)
{
	/* Private propagation first, so the tracefs mount never shows up on the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0) {
		int r = -errno;

		snprintf(msg, len, "mount tracefs: %s", strerror(-r));
		return r;
	}
	return attach_tracing_prog(false, msg, len);
}

static void probe_tracepoint(struct check *c, struct check_ctx *ctx, const void *arg)
{
	/* libbpf 1.1 looks up tracepoint ids under debugfs's tracing dir, else tracefs. */
	static const char *const tracefs[] = {"/sys/kernel/debug/tracing", "/sys/kernel/tracing"};
	char msg[256], events[64];

	for (size_t i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
		snprintf(events, sizeof(events), "%s/events", tracefs[i]);
		if (access(events, F_OK))
			continue;
		if (attach_tracing_prog(false, msg, sizeof(msg)))
			check_set(c, CHECK_MISSING, "%s", msg);
		else
			check_set(c, CHECK_OK, "tcp:tcp_probe attached (tracefs at %s)",
				  tracefs[i]);
		return;
	}
	if (sys_in_scratch_ns(CLONE_NEWNS, tracepoint_with_private_tracefs, NULL, msg, sizeof(msg)))
		check_set(c, CHECK_MISSING, "tracefs not mounted, and with a private mount: %s",
			  msg);
	else
		check_set(c, CHECK_WARN,
			  "tcp:tcp_probe attaches only once tracefs is mounted: "
			  "mount -t tracefs tracefs /sys/kernel/tracing");
}

static int scratch_nothing(const void *arg, char *msg, size_t len)
{
	return 0;
}

static void probe_netns(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char msg[256];
	int r;

	r = sys_in_scratch_ns(CLONE_NEWNET, scratch_nothing, NULL, msg, sizeof(msg));
	if (r)
		check_set(c, CHECK_MISSING, "%s", msg[0] ? msg : strerror(-r));
	else
		check_set(c, CHECK_OK, "unshare(CLONE_NEWNET) in a child");
}

static int scratch_veth(const void *arg, char *msg, size_t len)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];
	const char *const add[] = {"ip", "link", "add", a, "type", "veth", "peer", "name", b, NULL};
	const char *const up_a[] = {"ip", "link", "set", a, "up", NULL};
	const char *const up_b[] = {"ip", "link", "set", b, "up", NULL};
	int r;

	snprintf(a, sizeof(a), "ccxchk%da", (int)probe_pid);
	snprintf(b, sizeof(b), "ccxchk%db", (int)probe_pid);
	r = run_cmd(add, msg, len);
	if (!r)
		r = run_cmd(up_a, msg, len);
	if (!r)
		r = run_cmd(up_b, msg, len);
	if (!r)
		snprintf(msg, len, "pair %s/%s created and up in a scratch netns", a, b);
	return r;
}

static void probe_veth(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char msg[256];
	int r;

	r = sys_in_scratch_ns(CLONE_NEWNET, scratch_veth, NULL, msg, sizeof(msg));
	check_set(c, r ? CHECK_MISSING : CHECK_OK, "%s", msg[0] ? msg : strerror(-r));
}

static int scratch_tun(const void *arg, char *msg, size_t len)
{
	struct ifreq ifr;
	int fd, r = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, len, "open /dev/net/tun: %s", strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "ccxchk%dt", (int)probe_pid);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		snprintf(msg, len, "TUNSETIFF %s: %s", ifr.ifr_name, strerror(-r));
	} else if (!if_nametoindex(ifr.ifr_name)) {
		r = -errno;
		snprintf(msg, len, "%s made but not visible: %s", ifr.ifr_name, strerror(-r));
	} else {
		snprintf(msg, len, "/dev/net/tun gave %s in a scratch netns", ifr.ifr_name);
	}
	close(fd);
	return r;
}

static void probe_tun(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char msg[256];
	int r;

	r = sys_in_scratch_ns(CLONE_NEWNET, scratch_tun, NULL, msg, sizeof(msg));
	check_set(c, r ? CHECK_MISSING : CHECK_OK, "%s", msg[0] ? msg : strerror(-r));
}

/* Each qdisc is tried on lo of a fresh netns, so the answer does not depend on veth. */
static const char *const tbf_add[] = {"tc",   "qdisc",	"add",	 "dev",	   "lo",      "root", "tbf",
				      "rate", "10mbit", "burst", "32kbit", "latency", "50ms", NULL};
static const char *const htb_add[] = {"tc",	"qdisc", "add", "dev",	   "lo", "root",
				      "handle", "1:",	 "htb", "default", "10", NULL};
static const char *const htb_class[] = {"tc",	   "class", "add", "dev",  "lo",     "parent", "1:",
					"classid", "1:10",  "htb", "rate", "10mbit", NULL};

struct qdisc_probe {
	const char *kind;
	const char *const *cmds[3]; /* run in order, NULL-terminated */
};

static const struct qdisc_probe tbf_probe = {"tbf", {tbf_add, NULL}};
static const struct qdisc_probe htb_probe = {"htb", {htb_add, htb_class, NULL}};

static int scratch_qdisc(const void *arg, char *msg, size_t len)
{
	const struct qdisc_probe *q = arg;
	int r = 0;

	for (size_t i = 0; q->cmds[i] && !r; i++)
		r = run_cmd(q->cmds[i], msg, len);
	return r;
}

static void probe_qdisc(struct check *c, struct check_ctx *ctx, const void *arg)
{
	const struct qdisc_probe *q = arg;
	char msg[256];
	int r;

	r = sys_in_scratch_ns(CLONE_NEWNET, scratch_qdisc, q, msg, sizeof(msg));
	if (r)
		check_set(c, CHECK_MISSING, "%s", msg[0] ? msg : strerror(-r));
	else
		check_set(c, CHECK_OK, "%s qdisc%s added on lo of a scratch netns", q->kind,
			  q->cmds[1] ? " and class" : "");
}

/* The same probe that `link.backend = "auto"` and "netem" run, through rtnetlink. */
static void probe_netem(struct check *c, struct check_ctx *ctx, const void *arg)
{
	char msg[256];
	int r;

	r = qdisc_probe_netem(msg, sizeof(msg));
	check_set(c, r ? CHECK_MISSING : CHECK_OK, "%s", msg[0] ? msg : strerror(-r));
}

static void probe_congestion(struct check *c, struct check_ctx *ctx, const void *arg)
{
	int r;

	r = sys_read_file(TCP_CC_AVAILABLE_PATH, ctx->cc_available, sizeof(ctx->cc_available));
	if (r) {
		check_set(c, CHECK_MISSING, "%s: %s", TCP_CC_AVAILABLE_PATH, strerror(-r));
		return;
	}
	if (sys_read_file(TCP_CC_ALLOWED, ctx->cc_allowed, sizeof(ctx->cc_allowed)))
		ctx->cc_allowed[0] = '\0';
	check_set(c, CHECK_OK, "available: %s; allowed without CAP_NET_ADMIN: %s",
		  ctx->cc_available, ctx->cc_allowed[0] ? ctx->cc_allowed : "?");
}

/* What `link.backend = "auto"` resolves to here (toolkit/link/link.c decides). */
static void probe_link_auto(struct check *c, struct check_ctx *ctx, const void *arg)
{
	struct link_spec spec = {.backend = LINK_BACKEND_AUTO};
	struct link_runtime lr;
	char err[256];

	if (link_choose(&lr, &spec, err, sizeof(err)) < 0)
		check_set(c, CHECK_MISSING, "%s", err);
	else
		check_set(c, CHECK_OK, "%s (%s)", link_backend_name(lr.backend), lr.why);
}

static void probe_hz(struct check *c, struct check_ctx *ctx, const void *arg)
{
	int r;

	r = kernel_hz(&ctx->hz, &ctx->hz_source);
	if (r) {
		ctx->hz = 0;
		check_set(c, CHECK_MISSING,
			  "no /proc/config.gz, no /boot/config-%s, /proc/timer_list unreadable",
			  ctx->uts.release);
	} else {
		/* An estimate is right for the usual values, but say it is one. */
		check_set(c, strstr(ctx->hz_source, "estimate") ? CHECK_WARN : CHECK_OK,
			  "%d (from %s)", ctx->hz, ctx->hz_source);
	}
}

static void json_word_list(struct json *j, const char *list)
{
	const char *p = list, *w;
	char word[128];
	size_t n;

	json_array_begin(j);
	while ((w = words_next(&p, &n))) {
		snprintf(word, sizeof(word), "%.*s", (int)n, w);
		json_str(j, word);
	}
	json_array_end(j);
}

static int print_json(FILE *out, const struct check *checks, size_t n, const struct check_ctx *ctx,
		      bool ok)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_str(&j, "kernel", ctx->uts.release);
	json_key(&j, "libbpf");
	json_strf(&j, "%u.%u", libbpf_major_version(), libbpf_minor_version());
	json_key(&j, "checks");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&j);
		json_kv_str(&j, "name", checks[i].name);
		json_kv_str(&j, "status", status_json[checks[i].status]);
		json_kv_bool(&j, "required", checks[i].required);
		json_kv_str(&j, "detail", checks[i].detail);
		json_kv_str(&j, "without", checks[i].without);
		json_object_end(&j);
	}
	json_array_end(&j);
	if (ctx->hz > 0) {
		json_kv_int(&j, "hz", ctx->hz);
		json_kv_str(&j, "hz_source", ctx->hz_source);
	} else {
		json_kv_null(&j, "hz");
		json_kv_null(&j, "hz_source");
	}
	json_kv_str(&j, "cgroup2", ctx->have_cgroup2 ? ctx->cgroup2 : NULL);
	json_key(&j, "congestion_controls");
	json_word_list(&j, ctx->cc_available);
	json_key(&j, "allowed_congestion_controls");
	json_word_list(&j, ctx->cc_allowed);
	json_kv_bool(&j, "ok", ok);
	json_object_end(&j);
	return json_finish(&j);
}

static void print_table(FILE *out, const struct check *checks, size_t n, bool ok)
{
	int width = (int)strlen("CHECK");

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(checks[i].name) > width)
			width = (int)strlen(checks[i].name);
	fprintf(out, "%-7s  %-*s  %s\n", "STATUS", width, "CHECK", "DETAIL");
	for (size_t i = 0; i < n; i++) {
		const struct check *c = &checks[i];

		fprintf(out, "%-7s  %-*s  %s", status_word[c->status], width, c->name, c->detail);
		if (c->status != CHECK_OK && c->without)
			fprintf(out, " -- without it: %s", c->without);
		fputc('\n', out);
	}
	if (ok) {
		fputs("\nccexp run: everything it needs is here\n", out);
		return;
	}
	fputs("\nccexp run: cannot work here; missing:", out);
	for (size_t i = 0; i < n; i++)
		if (checks[i].required && checks[i].status == CHECK_MISSING)
			fprintf(out, " %s", checks[i].name);
	fputc('\n', out);
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp check [--json]\n"
	    "\n"
	    "Probe the running kernel for what ccexp uses. Each probe really does the thing\n"
	    "(loads and attaches BPF, registers a congestion control, makes links, qdiscs and\n"
	    "a cgroup in scratch namespaces named ccxchk<pid>) and undoes it. One line per probe:\n"
	    "OK, WARN (works partly) or MISSING, and what ccexp loses without it.\n"
	    "\n"
	    "options:\n"
	    "  --json      print one JSON document instead of the table\n"
	    "  -h, --help  show this help\n"
	    "\n"
	    "exit status: 0 when everything `ccexp run` needs is present (privileges, BPF, BTF,\n"
	    "cgroup2, sockops attach, netns, veth, tbf), 1 when not, 2 on a bad command line.\n"
	    "Run it as root (or with CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN).\n"
	    "\n"
	    "EXAMPLES\n"
	    "  sudo ccexp check\n"
	    "  sudo ccexp check --json | python3 -m json.tool\n"
	    "  sudo ccexp check --json | jq -r '.checks[] | select(.status != \"ok\") | .name'\n");
}

int cmd_check(int argc, char **argv)
{
	struct check checks[] = {
	    {"kernel", false, NULL, probe_kernel, NULL},
	    {"libbpf", false, NULL, probe_libbpf, NULL},
	    {"privileges", true, "nothing works: ccexp loads BPF and builds namespaces",
	     probe_privileges, NULL},
	    {"bpf-syscall", true, "no BPF at all: no sockops parameters, no event timelines",
	     probe_bpf_syscall, NULL},
	    {"btf", true, "CO-RE BPF objects, struct_ops and tp_btf do not load", probe_btf, NULL},
	    {"cgroup2", true, "no cgroup to scope the sockops program to a run's sockets",
	     probe_cgroup2, NULL},
	    {"sockops-attach", true,
	     "no per-flow sockops parameters (syn_rto_ms, init_cwnd_pkts, ...) and no "
	     "RTO/retransmit/state events",
	     probe_sockops, NULL},
	    {"struct-ops-cc", false,
	     "no bundled BPF congestion controls (e.g. NV where the kernel lacks tcp_nv)",
	     probe_struct_ops, NULL},
	    {"tp-btf", false, "no per-packet tcp_probe samples (cwnd, ssthresh, srtt) via BTF",
	     probe_tp_btf, NULL},
	    {"tracepoint", false,
	     "no classic tcp:tcp_probe tracepoint (the fallback where tp_btf is missing)",
	     probe_tracepoint, NULL},
	    {"netns", true, "no emulated hosts: a run puts each host in its own namespace",
	     probe_netns, NULL},
	    {"veth", true, "no links between the emulated hosts", probe_veth, NULL},
	    {"tun", false, "no tun link backend (trace-driven links, userspace delay/loss)",
	     probe_tun, NULL},
	    {"qdisc-tbf", true, "no rate limit or queue size on the emulated link", probe_qdisc,
	     &tbf_probe},
	    {"qdisc-htb", false, "no htb classes for the tc backend; tbf still shapes the link",
	     probe_qdisc, &htb_probe},
	    {"qdisc-netem", false,
	     "link delay/loss/jitter need the tun backend (userspace emulator)", probe_netem, NULL},
	    {"link-auto", false, "no link backend for link.backend = \"auto\"", probe_link_auto,
	     NULL},
	    {"congestion-controls", false, "cannot tell which algorithms flows may use",
	     probe_congestion, NULL},
	    {"config-hz", false,
	     "syn_rto_ms cannot be converted exactly to the jiffies sockops replies in", probe_hz,
	     NULL},
	};
	const size_t n = sizeof(checks) / sizeof(checks[0]);
	struct check_ctx ctx = {0};
	sigset_t stop, old, pending;
	bool json = false, ok = true, interrupted = false;
	int r = parse_json_option("check", argc, argv, usage, &json);

	if (r >= 0)
		return r;
	r = 0;

	probe_pid = getpid();
	if (uname(&ctx.uts) < 0)
		snprintf(ctx.uts.release, sizeof(ctx.uts.release), "unknown");

	/*
	 * Each probe undoes its own work before it returns, so signals wait between probes: a
	 * Ctrl-C never strands a registered congestion control or a scratch cgroup. Children
	 * inherit the mask, so `ip` and `tc` finish too.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	sigprocmask(SIG_BLOCK, &stop, &old);
	for (size_t i = 0; i < n; i++) {
		checks[i].fn(&checks[i], &ctx, checks[i].arg);
		log_debug("%s: %s %s", checks[i].name, status_word[checks[i].status],
			  checks[i].detail);
		if (sigpending(&pending) == 0 &&
		    (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
		     sigismember(&pending, SIGHUP) || sigismember(&pending, SIGQUIT))) {
			interrupted = true;
			break;
		}
	}
	if (interrupted) {
		log_err("check interrupted; every probe so far cleaned up after itself");
		fflush(NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return CCX_EXIT_FAILURE; /* only reached when the signal is ignored or handled */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);

	for (size_t i = 0; i < n; i++)
		if (checks[i].required && checks[i].status == CHECK_MISSING)
			ok = false;
	if (json)
		r = print_json(stdout, checks, n, &ctx, ok);
	else
		print_table(stdout, checks, n, ok);
	if (r || fflush(stdout) == EOF) {
		log_err_errno(r ? r : -errno, "write output");
		return CCX_EXIT_FAILURE;
	}
	return ok ? CCX_EXIT_OK : CCX_EXIT_FAILURE;
}
