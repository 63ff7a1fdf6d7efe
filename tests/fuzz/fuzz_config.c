/* libFuzzer target: config_load() then link_spec_check() (parser and validator, as a command
 * runs them) on any text, and what an accepted config promises its consumers (config.h):
 * ranges, names, queue limits, cmd placeholders. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config.h"
#include "core/sweep.h"
#include "link/link_spec.h"
#include "fuzz.h"

/* A fixed list, as /proc/sys/net/ipv4/tcp_available_congestion_control gives it. */
static const char known_cc[] = "reno cubic bbr vegas nv dctcp\n";

/* Inputs that would make the parser read files of this machine: @include (any file, even a
 * FIFO or /dev/zero), and device paths a trace setting would open. Not what is fuzzed. */
static int reads_machine_files(const uint8_t *data, size_t size)
{
	static const char *const words[] = {"include", "dev/"};

	for (size_t i = 0; i < size; i++) {
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			size_t n = strlen(words[w]);

			if (size - i >= n && !strncasecmp((const char *)data + i, words[w], n))
				return 1;
		}
	}
	return 0;
}

static int name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = strnlen(s, max);

	if (!n || n == max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    !strchr(extra, c))
			return 0;
	}
	return 1;
}

static int word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " \t\n");

		if (k == n && !strncmp(p, word, n))
			return 1;
		p += k;
		p += strspn(p, " \t\n");
	}
	return 0;
}

static void check_cmd(const char *tmpl, const struct flow_spec *f)
{
	char out[1024];
	int r;

	if (!tmpl[0])
		return;
	FUZZ_CHECK(strnlen(tmpl, sizeof(f->cmd)) < sizeof(f->cmd), "cmd not terminated");
	/* config_load() accepted the template: expanding it may only run out of room. */
	r = config_expand_cmd(tmpl, f, "198.18.0.1", "198.19.0.1", 5201, out, sizeof(out));
	FUZZ_CHECK(r == 0 || r == -ENAMETOOLONG, "expanding \"%s\": %d", tmpl, r);
	FUZZ_CHECK(r == 0 || !out[0], "a cmd that did not fit left \"%s\"", out);
	r = config_expand_cmd(tmpl, f, "198.18.0.1", "198.19.0.1", 5201, out, 8);
	FUZZ_CHECK(r == 0 || r == -ENAMETOOLONG, "expanding \"%s\" into 8 bytes: %d", tmpl, r);
	FUZZ_CHECK(strnlen(out, 8) < 8, "expansion into 8 bytes not terminated");
}

static void check_accepted(const struct experiment *exp)
{
	const struct link_spec *l = &exp->link;
	uint64_t bytes;
	uint32_t pkts;
	int conns = 0;

	FUZZ_CHECK(name_ok(exp->name, sizeof(exp->name), "_.-"), "experiment name \"%.64s\"",
		   exp->name);
	FUZZ_CHECK(strcmp(exp->name, ".") && strcmp(exp->name, ".."),
		   "experiment name \"%s\" is no directory name", exp->name);
	FUZZ_CHECK(exp->duration_s > 0 && exp->duration_s <= 86400, "duration_s %g",
		   exp->duration_s);
	FUZZ_CHECK(exp->nflows >= 1 && exp->nflows <= CFG_MAX_FLOWS, "%d flows", exp->nflows);
	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *f = &exp->flows[i];

		FUZZ_CHECK(name_ok(f->name, sizeof(f->name), "_-"), "flow name \"%.32s\"", f->name);
		for (int k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(f->name, exp->flows[k].name), "two flows named %s",
				   f->name);
		FUZZ_CHECK(strnlen(f->cc, sizeof(f->cc)) < sizeof(f->cc) &&
			       word_in(f->cc, known_cc),
			   "flow %s: cc \"%.16s\"", f->name, f->cc);
		FUZZ_CHECK(f->count >= 1 && f->count <= CFG_MAX_CONNS, "flow %s: count %d", f->name,
			   f->count);
		FUZZ_CHECK(f->start_s >= 0 && f->start_s < exp->duration_s &&
			       f->stop_s > f->start_s && f->stop_s <= exp->duration_s,
			   "flow %s: %g .. %g s of %g", f->name, f->start_s, f->stop_s,
			   exp->duration_s);
		FUZZ_CHECK(f->extra_delay_ms >= 0 && f->extra_delay_ms <= 10000 &&
			       f->extra_delay_down_ms >= 0 && f->extra_delay_down_ms <= 10000,
			   "flow %s: extra delay %g/%g ms", f->name, f->extra_delay_ms,
			   f->extra_delay_down_ms);
		/* Only tun can delay one flow alone (auto picks it). */
		FUZZ_CHECK(!(f->extra_delay_ms > 0 || f->extra_delay_down_ms > 0) ||
			       (exp->link.flow_delay && (exp->link.backend == LINK_BACKEND_TUN ||
							 exp->link.backend == LINK_BACKEND_AUTO)),
			   "flow %s: an extra delay on backend %s", f->name,
			   link_backend_name(exp->link.backend));
		check_cmd(f->cmd, f);
		check_cmd(f->server_cmd, f);
		conns += f->count;
	}
	FUZZ_CHECK(conns == experiment_conns(exp) && conns <= CFG_MAX_CONNS, "%d connections",
		   conns);

	FUZZ_CHECK(l->backend < LINK_BACKEND_MAX && strcmp(link_backend_name(l->backend), "?"),
		   "backend %d", (int)l->backend);
	FUZZ_CHECK(l->queue < LINK_QUEUE_MAX && l->loss_model < LINK_LOSS_MAX, "queue %d, loss %d",
		   (int)l->queue, (int)l->loss_model);
	FUZZ_CHECK((l->rate_mbit >= 0.01 && l->rate_mbit <= 100000) ||
		       (l->rate_mbit == 0 && (l->trace_up[0] || l->backend == LINK_BACKEND_NONE)),
		   "rate_mbit %g", l->rate_mbit);
	FUZZ_CHECK(l->rate_down_mbit == 0 ||
		       (l->rate_down_mbit >= 0.01 && l->rate_down_mbit <= 100000),
		   "rate_down_mbit %g", l->rate_down_mbit);
	FUZZ_CHECK(l->delay_ms >= 0 && l->delay_ms <= 10000 && l->delay_down_ms >= 0 &&
		       l->delay_down_ms <= 10000 && l->jitter_ms >= 0 && l->jitter_ms <= 10000,
		   "delay %g/%g ms, jitter %g ms", l->delay_ms, l->delay_down_ms, l->jitter_ms);
	FUZZ_CHECK(l->loss >= 0 && l->loss < 1 && l->loss_down >= 0 && l->loss_down < 1,
		   "loss %g/%g", l->loss, l->loss_down);
	FUZZ_CHECK(l->codel_interval_ms > l->codel_target_ms, "codel %g/%g ms", l->codel_target_ms,
		   l->codel_interval_ms);
	FUZZ_CHECK(!l->trace_up[0] || l->trace_up[0] == '/', "trace_up \"%s\" not absolute",
		   l->trace_up);
	FUZZ_CHECK(!l->trace_down[0] || l->trace_down[0] == '/', "trace_down \"%s\" not absolute",
		   l->trace_down);
	/* What the link backends apply: a limit link_queue_limits() refuses would stop a run
	 * that validation let through. */
	FUZZ_CHECK(link_queue_limits(l, &pkts, &bytes) == 0, "queue limits refused");
	FUZZ_CHECK(!pkts != !bytes, "queue limit %u pkts and %llu bytes", pkts,
		   (unsigned long long)bytes);
	if (l->backend == LINK_BACKEND_NETEM)
		FUZZ_CHECK(!link_netem_lacks(l), "netem accepted but %s", link_netem_lacks(l));
	FUZZ_CHECK(exp->collect.sample_interval_ms >= 1 && exp->collect.sample_interval_ms <= 10000,
		   "sample_interval_ms %d", exp->collect.sample_interval_ms);
	FUZZ_CHECK(exp->collect.ringbuf_kb == 0 ||
		       (exp->collect.ringbuf_kb >= 64 && exp->collect.ringbuf_kb <= 1048576),
		   "ringbuf_kb %d", exp->collect.ringbuf_kb);
}

/* A folder of our own for the input as a file, beside a small valid trace the seeds name
 * ("t.trace"), so that configs with a trace reach link_spec_check's reading of it. It is
 * made in $TMPDIR: libFuzzer may end without running atexit handlers, so tests/fuzz/run.sh
 * points TMPDIR at a folder it removes. */
static char dir[PATH_MAX];

static void remove_dir(void)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/t.trace", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/in.cfg", dir);
	unlink(path);
	rmdir(dir);
}

static int input_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	static bool made;
	FILE *f;

	if (!made) {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/ccx-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			return -errno;
		made = true;
		atexit(remove_dir);
		snprintf(path, len, "%s/t.trace", dir);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		fputs("1\n2\n3\n5\n8\n", f);
		if (fclose(f) != 0)
			return -errno;
	}
	snprintf(path, len, "%s/in.cfg", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

/* A set of runs expands into runs whose configs are all valid, or is refused naming the
 * file; the run ids are unique and the seeds follow the documented rule. */
static void check_sweep(const char *path)
{
	struct sweep sw;
	char err[1024] = "";
	int r = sweep_load(path, known_cc, NULL, NULL, false, &sw, err, sizeof(err));

	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL, "sweep_load: %d (%s)", r, err);
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
			   "sweep refusal without the file: \"%s\"", err);
		return;
	}
	FUZZ_CHECK(sw.nruns == sw.npoints * sw.repeat && sw.nruns <= SWEEP_RUNS_LIMIT,
		   "%d runs of %d points x %d", sw.nruns, sw.npoints, sw.repeat);
	for (int i = 0; i < sw.nruns; i++) {
		FUZZ_CHECK(sw.runs[i].seed ==
			       sweep_seed(sw.runs[i - sw.runs[i].repeat].seed, sw.runs[i].repeat),
			   "run %d: seed", i);
		FUZZ_CHECK(!strstr(sw.runs[i].config, "\nsweep = "), "run %d keeps its sweep", i);
		for (int j = i + 1; j < sw.nruns && j < i + 64; j++)
			FUZZ_CHECK(strcmp(sw.runs[i].run_id, sw.runs[j].run_id),
				   "runs %d and %d: %s", i, j, sw.runs[i].run_id);
	}
	sweep_free(&sw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Large (two PATH_MAX paths, 64 flows): not on the stack. */
	static struct experiment exp;
	char path[PATH_MAX + 16], err[1024];
	int r;

	if (reads_machine_files(data, size))
		return 0;
	if (input_file(data, size, path, sizeof(path)) < 0)
		abort();
	memset(err, 0, sizeof(err));
	r = config_load(path, known_cc, &exp, err, sizeof(err));
	if (r == 0)
		r = link_spec_check(&exp, err, sizeof(err));
	if (r == 0) {
		check_accepted(&exp);
		if (exp.has_sweep || exp.repeat > 1)
			check_sweep(path);
		return 0;
	}
	FUZZ_CHECK(r == -EINVAL, "config_load or link_spec_check: %d (%s)", r, err);
	/* A refusal names the file: "FILE:LINE: ..." (a NUL byte: "FILE: ... offset N"). */
	FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
		   "refusal without the file: \"%s\"", err);
	return 0;
}
