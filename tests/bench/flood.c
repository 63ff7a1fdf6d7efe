/* Event throughput: a BPF program (bpf/flood.bpf.c) floods the collector's ring buffer with
 * sample events through BPF_PROG_TEST_RUN while ccexp's own collector (kernel/collect.c) drains
 * them into timeline/cwnd.csv; prints the events/s written and the drops the BPF side counted.
 * With --check-drops it is the integration test that drops are counted, never silent. */
#include "ccx_test.h"
#include "ccx_flood.h"
#include "kernel/collect.h"
#include "kernel/kernel.h"
#include "kernel/sys.h"

#include "flood.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define FLOOD_BATCH	 4096 /* events per program run at most: the producer checks its pace */
#define FLOOD_PORT_BASE	 40000
#define FLOOD_NPORTS	 4
#define DRAIN_TIMEOUT_MS 10

struct bench {
	struct experiment exp;
	char cgroup[PATH_MAX];
	int hz;
	bool files; /* false: the collector's no-files path, bookkeeping without CSV */
};

/* The flood program, loaded on the collector's maps. */
struct flood {
	struct ccx_flood *skel;
	int prog_fd;
	uint32_t flow_id;
	uint64_t seq;
};

struct producer {
	struct flood *f;
	double rate_ev_s; /* 0: flat out */
	double seconds;
	uint64_t offered; /* events the program tried to reserve */
	uint64_t t_start_ns, t_end_ns;
	int err;
	atomic_bool done;
};

struct result {
	double rate_ev_s, seconds;
	uint64_t seen, dropped, received, rows, rows_on_disk, offered;
	double produce_s, drain_s; /* producer's time; from its start to the last row */
	double drain_cpu_s; /* the draining thread's own CPU time: what load cannot inflate */
};

static const char *const shared_names[3] = {"events", "counters", "sk_infos"};

/* Loads the flood program on the maps of a collector (collect_shared_fds()' order). */
static int flood_open(struct flood *f, const int fds[3])
{
	int r;

	memset(f, 0, sizeof(*f));
	f->skel = ccx_flood__open();
	if (!f->skel)
		return -errno;
	for (int i = 0; i < 3; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(f->skel->obj, shared_names[i]);

		r = m ? bpf_map__reuse_fd(m, fds[i]) : -ENOENT;
		if (r < 0)
			goto fail;
	}
	r = ccx_flood__load(f->skel);
	if (r < 0)
		goto fail;
	f->prog_fd = bpf_program__fd(f->skel->progs.ccx_flood);
	return 0;
fail:
	ccx_flood__destroy(f->skel);
	f->skel = NULL;
	return r;
}

/* One program run: `count` reservations, each counted seen (and dropped when it failed). */
static int flood_run(struct flood *f, uint32_t count)
{
	struct ccx_flood_args a = {
	    .count = count,
	    .flow_id = f->flow_id,
	    .lport_base = FLOOD_PORT_BASE,
	    .nports = FLOOD_NPORTS,
	    .rport = CCX_PORT_BASE,
	    .seq = f->seq,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));
	int r = bpf_prog_test_run_opts(f->prog_fd, &o);

	if (r < 0)
		return -errno;
	f->seq += count;
	return (int)o.retval == (int)count ? 0 : -EIO; /* bpf_loop's count of iterations */
}

static void *produce(void *arg)
{
	struct producer *p = arg;

	p->t_start_ns = sys_mono_ns();
	for (;;) {
		uint64_t now = sys_mono_ns();
		double elapsed = (now - p->t_start_ns) / 1e9;
		uint64_t want, n;

		if (elapsed >= p->seconds)
			break;
		want = p->rate_ev_s > 0 ? (uint64_t)(p->rate_ev_s * elapsed)
					: p->offered + FLOOD_BATCH;
		n = want > p->offered ? want - p->offered : 0;
		if (n > FLOOD_BATCH)
			n = FLOOD_BATCH;
		if (!n) {
			struct timespec ts = {0, 50000};

			nanosleep(&ts, NULL);
			continue;
		}
		p->err = flood_run(p->f, (uint32_t)n);
		if (p->err)
			break;
		p->offered += n;
	}
	p->t_end_ns = sys_mono_ns();
	atomic_store(&p->done, true);
	return NULL;
}

/* The shared maps of a running ccexp (its collector's events, counters and sk_infos), taken
 * from its file descriptors; waits up to 10 s for them to appear. Returns 0 or -errno. */
static int maps_of_pid(int pid, int fds[3])
{
	static const enum bpf_map_type types[3] = {BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_PERCPU_ARRAY,
						   BPF_MAP_TYPE_SK_STORAGE};
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char dir[64], link[PATH_MAX + 64], target[64];

	if (pidfd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	for (int tries = 0; tries < 200; tries++) {
		DIR *d = opendir(dir);
		struct dirent *de;
		int found = 0;

		fds[0] = fds[1] = fds[2] = -1;
		while (d && (de = readdir(d)) && found < 3) {
			struct bpf_map_info info;
			__u32 len = sizeof(info);
			ssize_t n;
			int fd;

			snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = 0;
			if (strcmp(target, "anon_inode:bpf-map") != 0)
				continue;
			fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
			memset(&info, 0, sizeof(info));
			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			for (int i = 0; i < 3; i++) {
				if (fds[i] < 0 && info.type == types[i] &&
				    !strcmp(info.name, shared_names[i])) {
					fds[i] = fd;
					fd = -1;
					found++;
				}
			}
			if (fd >= 0)
				close(fd);
		}
		if (d)
			closedir(d);
		if (found == 3) {
			close(pidfd);
			return 0;
		}
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		usleep(50000);
	}
	close(pidfd);
	return -ENOENT;
}

/* Offers `burst` events in one program run to the collector of the ccexp process `pid`. */
static int flood_pid(int pid, uint32_t burst, uint32_t flow_id)
{
	struct flood f;
	int fds[3], r;

	r = maps_of_pid(pid, fds);
	if (r < 0) {
		fprintf(stderr, "the maps of ccexp pid %d: %s\n", pid, strerror(-r));
		return 1;
	}
	r = flood_open(&f, fds);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	if (r < 0) {
		fprintf(stderr, "load the flood program: %s\n", strerror(-r));
		return 1;
	}
	f.flow_id = flow_id;
	r = flood_run(&f, burst);
	ccx_flood__destroy(f.skel);
	if (r < 0) {
		fprintf(stderr, "run the flood program: %s\n", strerror(-r));
		return 1;
	}
	printf("offered %u events to pid %d (flow id %u)\n", burst, pid, flow_id);
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Data rows of a CSV file as it is on disk: its lines but the header. */
static long rows_on_disk(const char *path)
{
	FILE *f = fopen(path, "r");
	long lines = 0;
	int ch;

	if (!f)
		return -1;
	while ((ch = getc_unlocked(f)) != EOF)
		lines += ch == '\n';
	fclose(f);
	return lines - 1;
}

static void remove_outdir(const char *dir)
{
	char path[PATH_MAX + 64];
	const char *const files[] = {"timeline/cwnd.csv",
				     "timeline/throughput.csv",
				     "events/rto.csv",
				     "events/retrans.csv",
				     "events/state.csv",
				     "events/handshake.csv",
				     "events/sockops.csv",
				     "events/ca_state.csv",
				     "events/rtt.csv",
				     "timeline",
				     "events",
				     NULL};

	for (int i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		remove(path);
	}
	rmdir(dir);
}

/* Opens a collector as a run does, floods it at rate_ev_s (0: flat out) for `seconds`, or
 * with burst > 0 offers that many events in one program run while nobody drains, then
 * drains what is left. */
static int measure(struct bench *b, double rate_ev_s, double seconds, uint32_t burst,
		   struct result *res)
{
	char outdir[] = "/tmp/ccx-flood-XXXXXX", path[PATH_MAX];
	struct ccx_counter cnt[CCX_EV_MAX];
	struct producer p = {.rate_ev_s = rate_ev_s, .seconds = seconds};
	struct collector col;
	struct flood f;
	pthread_t th;
	uint64_t t_last_ns, cpu0_ns;
	int r;

	memset(res, 0, sizeof(*res));
	res->rate_ev_s = rate_ev_s;
	res->seconds = seconds;
	if (!mkdtemp(outdir))
		return -errno;
	r = collect_open(&col, &b->exp, b->hz, b->cgroup, b->files ? outdir : NULL);
	if (r < 0) {
		remove_outdir(outdir);
		return r;
	}
	int fds[3];

	collect_shared_fds(&col, fds);
	r = flood_open(&f, fds);
	if (r < 0) {
		fprintf(stderr, "load the flood program: %s\n", strerror(-r));
		goto out;
	}
	p.f = &f;
	cpu0_ns = thread_cpu_ns();
	if (burst) {
		p.t_start_ns = sys_mono_ns();
		r = flood_run(&f, burst);
		p.offered = burst;
		p.t_end_ns = sys_mono_ns();
		atomic_store(&p.done, true);
	} else {
		r = -pthread_create(&th, NULL, produce, &p);
		while (!r && !atomic_load(&p.done))
			collect_poll(&col, DRAIN_TIMEOUT_MS);
		if (!r)
			pthread_join(th, NULL);
		r = r ?: p.err;
	}
	/* The producer is done: what is in the ring buffer now is all there will be. */
	while (collect_poll(&col, 0) > 0)
		;
	t_last_ns = sys_mono_ns();
	res->drain_cpu_s = (thread_cpu_ns() - cpu0_ns) / 1e9;
	if (!r)
		r = collect_counters(&col, cnt);
	if (!r) {
		res->seen = cnt[CCX_EV_SAMPLE].seen;
		res->dropped = cnt[CCX_EV_SAMPLE].dropped;
		for (int k = 0; k < CCX_EV_MAX; k++)
			if (k != CCX_EV_SAMPLE && (cnt[k].seen || col.received[k]))
				r = -EPROTO; /* only samples were offered */
	}
	res->received = col.received[CCX_EV_SAMPLE];
	res->rows = col.rows[CCX_EV_SAMPLE];
	res->offered = p.offered;
	res->produce_s = (p.t_end_ns - p.t_start_ns) / 1e9;
	res->drain_s = (t_last_ns - p.t_start_ns) / 1e9;
	ccx_flood__destroy(f.skel);
out:;
	int cr = collect_close(&col);

	collect_free(&col);
	r = r ?: cr;
	if (b->files) {
		snprintf(path, sizeof(path), "%s/timeline/cwnd.csv", outdir);
		long n = rows_on_disk(path);

		res->rows_on_disk = n > 0 ? (uint64_t)n : 0;
	} else {
		res->rows_on_disk = res->rows;
	}
	remove_outdir(outdir);
	return r;
}

/* Prints one line; false when the accounting does not add up (a bug, not a slow machine). */
static bool print_result(const char *label, const struct result *x)
{
	printf("  %-9s offered %8.0f/s  written %8.0f rows/s  drain CPU %4.0f ns/row  "
	       "seen %9llu = received %9llu + dropped %8llu: %s  rows %9llu\n",
	       label, x->produce_s > 0 ? x->seen / x->produce_s : 0,
	       x->drain_s > 0 ? x->rows_on_disk / x->drain_s : 0,
	       x->received ? x->drain_cpu_s / x->received * 1e9 : 0, (unsigned long long)x->seen,
	       (unsigned long long)x->received, (unsigned long long)x->dropped,
	       x->seen == x->received + x->dropped ? "yes" : "NO",
	       (unsigned long long)x->rows_on_disk);
	return x->seen == x->received + x->dropped && x->rows_on_disk == x->received;
}

/* The test: a 64 KiB ring buffer nobody drains while 200000 events are offered must count
 * every one it could not take as dropped, and the rows on disk must be the rest. */
static int check_drops(struct bench *b)
{
	const uint32_t offered = 200000;
	struct result x;
	int r;

	b->exp.collect.ringbuf_kb = 64;
	r = measure(b, 0, 0, offered, &x);
	if (r < 0) {
		fprintf(stderr, "flood: %s\n", strerror(-r));
		return 1;
	}
	print_result("burst", &x);
	CHECK_MSG(x.seen == offered, "seen %llu, offered %u", (unsigned long long)x.seen, offered);
	CHECK_MSG(x.dropped > 0, "a 64 KiB ring buffer took %u events undrained", offered);
	CHECK_MSG(x.rows_on_disk + x.dropped == offered,
		  "%llu rows on disk + %llu counted drops != %u offered",
		  (unsigned long long)x.rows_on_disk, (unsigned long long)x.dropped, offered);
	CHECK(x.received == x.rows_on_disk && x.rows == x.rows_on_disk);
	CHECK(x.seen == x.received + x.dropped);
	return ccx_test_failures ? 1 : 0;
}

static int bench(struct bench *b, double seconds, int ringbuf_kb)
{
	static const double rates[] = {250e3, 500e3, 750e3, 1e6, 1.25e6, 1.5e6, 2e6, 3e6, 4e6};
	double best = 0, capacity;
	bool ok = true;
	struct result x;
	char label[32];
	int r;

	b->exp.collect.ringbuf_kb = ringbuf_kb;
	printf("event throughput: sample events into timeline/cwnd.csv, %g s per step, ring "
	       "buffer %d KiB\n",
	       seconds, ringbuf_kb);
	printf("paced (the highest offered rate with no drop is the result):\n");
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		r = measure(b, rates[i], seconds, 0, &x);
		if (r < 0)
			return r;
		snprintf(label, sizeof(label), "%.2fM", rates[i] / 1e6);
		ok &= print_result(label, &x);
		if (x.dropped || x.seen < rates[i] * seconds * 0.95)
			break; /* dropping, or the producer cannot offer more */
		best = x.seen / x.produce_s;
	}
	printf("flat out (the producer as fast as it can; written rows/s is the drain rate):\n");
	r = measure(b, 0, seconds, 0, &x);
	if (r < 0)
		return r;
	ok &= print_result("csv", &x);
	capacity = x.drain_cpu_s > 0 ? x.received / x.drain_cpu_s : 0;
	b->files = false;
	r = measure(b, 0, seconds, 0, &x);
	b->files = true;
	if (r < 0)
		return r;
	ok &= print_result("no-files", &x);
	printf("highest rate with zero drops: %.0f events/s; the drain's own capacity (rows per "
	       "second of its CPU, flat out): %.0f rows/s\n",
	       best, capacity);
	return ok ? 0 : -EPROTO;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ccx_flood [--seconds S] [--ringbuf-kb K]\n"
		     "       ccx_flood --check-drops\n"
		     "       ccx_flood --into-pid PID [--burst N] [--flow-id ID]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'}, {"ringbuf-kb", required_argument, NULL, 'k'},
	    {"check-drops", no_argument, NULL, 'c'},   {"into-pid", required_argument, NULL, 'p'},
	    {"burst", required_argument, NULL, 'b'},   {"flow-id", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},	       {0},
	};
	static struct bench b;
	const char *hz_source;
	double seconds = 3;
	int ringbuf_kb = 16384, opt, r;
	bool test = false;
	uint32_t burst = 200000, flow_id = 0;
	int pid = 0;
	char root[PATH_MAX - 64];

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'k':
			ringbuf_kb = atoi(optarg);
			break;
		case 'c':
			test = true;
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		case 'b':
			burst = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			flow_id = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (seconds <= 0 || ringbuf_kb < 64) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0)
		ccx_test_skip("needs root: BPF programs and a cgroup");
	if (pid > 0)
		return flood_pid(pid, burst, flow_id);
	if (kernel_hz(&b.hz, &hz_source) < 0)
		ccx_test_skip("the kernel's HZ is unknown");
	if (cgroup2_mount(root, sizeof(root)) < 0)
		ccx_test_skip("no cgroup v2 mounted");
	snprintf(b.exp.name, sizeof(b.exp.name), "flood");
	b.exp.duration_s = seconds;
	b.exp.collect.sample_interval_ms = 10;
	b.exp.nflows = 1;
	snprintf(b.exp.flows[0].name, sizeof(b.exp.flows[0].name), "bulk");
	snprintf(b.exp.flows[0].cc, sizeof(b.exp.flows[0].cc), "cubic");
	b.exp.flows[0].count = FLOOD_NPORTS;
	b.exp.flows[0].stop_s = seconds;
	b.files = true;
	/* The collector attaches its sockops program to a cgroup: an empty one of our own. */
	snprintf(b.cgroup, sizeof(b.cgroup), "%s/flood-bench-%d", root, (int)getpid());
	if (mkdir(b.cgroup, 0755) < 0) {
		fprintf(stderr, "create %s: %s\n", b.cgroup, strerror(errno));
		return 1;
	}
	if (test) {
		r = check_drops(&b);
	} else {
		r = bench(&b, seconds, ringbuf_kb);
		if (r < 0)
			fprintf(stderr, "flood: %s\n", strerror(-r));
		r = r < 0;
	}
	rmdir(b.cgroup);
	return r;
}
