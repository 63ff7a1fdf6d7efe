/* What each link backend can do with a config's link section: the checks a command runs
 * after config_load() and before it touches the kernel, and the queue limit to apply. */
#include "link/link_spec.h"
#include "link/emu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * What a link setting asks of the backend, when it is given a value other than its default.
 * The tc backend (tbf + pfifo) is a rate and a queue on the uplink; netem has everything
 * but a trace-driven rate; none has nothing at all.
 */
enum link_feature {
	FEAT_NONE = 0,
	FEAT_RATE,
	FEAT_RATE_DOWN,
	FEAT_TRACE,
	FEAT_DELAY,
	FEAT_JITTER,
	FEAT_LOSS,
	FEAT_QUEUE,
	FEAT_CODEL,
	FEAT_FLOW_DELAY, /* a flow's extra_delay_ms: a delay for some packets only */
	FEAT_CAPTURE,
	FEAT_MAX,
};
static const char *const tc_lacks[FEAT_MAX] = {
    [FEAT_RATE_DOWN] = "limits the uplink only",
    [FEAT_TRACE] = "has no trace-driven rate",
    [FEAT_DELAY] = "has no delay",
    [FEAT_JITTER] = "has no jitter",
    [FEAT_LOSS] = "has no random loss",
    [FEAT_CODEL] = "has no CoDel",
    [FEAT_FLOW_DELAY] = "has no per-flow delay",
    [FEAT_CAPTURE] = "has no packet capture (only the tun emulator writes one)",
};
/* netem + tbf (toolkit/link/qdisc.c): a droptail FIFO behind a fixed rate. */
static const char *const netem_lacks[FEAT_MAX] = {
    [FEAT_TRACE] = "has no trace-driven rate",
    [FEAT_CODEL] = "has no CoDel (its queue is tbf's droptail FIFO)",
    /* It would take a netem per flow behind a classifier, on both hosts' paths: not built. */
    [FEAT_FLOW_DELAY] = "delays every flow alike (no per-flow delay)",
    /* The kernel's qdiscs never show us the packets: a capture would take libpcap on the
     * router's veth, whose timestamps are not the model's. Not built. */
    [FEAT_CAPTURE] = "has no packet capture (only the tun emulator writes one)",
};

/* What the setting, as written, asks of the backend; FEAT_NONE for a default-like value. */
static enum link_feature asks(const struct link_spec *l, enum link_setting s)
{
	switch (s) {
	case LINK_SET_RATE:
		return FEAT_RATE;
	case LINK_SET_TRACE_UP:
	case LINK_SET_TRACE_DOWN:
		return FEAT_TRACE;
	case LINK_SET_RATE_DOWN:
		return l->rate_down_mbit > 0 ? FEAT_RATE_DOWN : FEAT_NONE;
	case LINK_SET_DELAY:
		return l->delay_ms > 0 ? FEAT_DELAY : FEAT_NONE;
	case LINK_SET_DELAY_DOWN:
		return l->delay_down_ms > 0 ? FEAT_DELAY : FEAT_NONE;
	case LINK_SET_JITTER:
		return l->jitter_ms > 0 ? FEAT_JITTER : FEAT_NONE;
	case LINK_SET_JITTER_REORDER:
		return l->jitter_reorder ? FEAT_JITTER : FEAT_NONE;
	case LINK_SET_LOSS_MODEL:
		return l->loss_model == LINK_LOSS_GILBERT_ELLIOTT ? FEAT_LOSS : FEAT_NONE;
	case LINK_SET_LOSS:
		return l->loss > 0 ? FEAT_LOSS : FEAT_NONE;
	case LINK_SET_LOSS_DOWN:
		return l->loss_down > 0 ? FEAT_LOSS : FEAT_NONE;
	case LINK_SET_QUEUE_PKTS:
		return l->queue_limit == LINK_QUEUE_PKTS && l->queue_pkts != LINK_QUEUE_PKTS_DEFAULT
			   ? FEAT_QUEUE
			   : FEAT_NONE;
	case LINK_SET_QUEUE_BYTES:
	case LINK_SET_QUEUE_BDP:
		return FEAT_QUEUE;
	case LINK_SET_QUEUE:
		return l->queue == LINK_QUEUE_CODEL ? FEAT_CODEL : FEAT_NONE;
	case LINK_SET_CAPTURE:
		return l->capture != LINK_CAPTURE_NONE ? FEAT_CAPTURE : FEAT_NONE;
	default:
		return FEAT_NONE;
	}
}

static const char *why_not(enum link_backend b, enum link_feature f, char *buf, size_t len)
{
	switch (b) {
	case LINK_BACKEND_NONE:
		return "backend = \"none\" emulates nothing; remove it or use another backend";
	case LINK_BACKEND_TC:
		if (!tc_lacks[f])
			return NULL;
		snprintf(buf, len, "the tc backend %s; use backend = \"tun\"%s", tc_lacks[f],
			 netem_lacks[f] ? "" : " or \"netem\"");
		return buf;
	case LINK_BACKEND_NETEM:
		if (!netem_lacks[f])
			return NULL;
		snprintf(buf, len, "netem %s; use backend = \"tun\"", netem_lacks[f]);
		return buf;
	default:
		return NULL;
	}
}

/* The trace's content, read now so that a bad one stops the run before anything exists. */
static int check_trace(const struct experiment *exp, enum link_setting s, const char *path,
		       char *err, size_t errlen)
{
	char setting[64], why[PATH_MAX + 128];
	uint32_t *ms, period_ms;
	struct stat st;
	size_t n;
	int fd, r;

	snprintf(setting, sizeof(setting), "link.%s", link_setting_name(s));
	/* O_NONBLOCK: a FIFO must not hang the check; it is refused below anyway. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		r = -errno;
	else
		r = fstat(fd, &st) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (!r && S_ISDIR(st.st_mode))
		r = -EISDIR;
	if (r < 0) {
		return config_err_at(exp, exp->link.at[s], setting, err, errlen,
				     "cannot read \"%s\": %s", path, strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return config_err_at(exp, exp->link.at[s], setting, err, errlen,
				     "cannot read \"%s\": not a regular file", path);
	r = emu_trace_load(path, &ms, &n, &period_ms, why, sizeof(why));
	free(ms);
	if (r == 0)
		return 0;
	config_err_at(exp, exp->link.at[s], setting, err, errlen, "%s", why);
	return r == -ENOMEM ? r : -EINVAL;
}

/* A flow's extra delay is the tun emulator's: it tells the flows apart by port. */
static int check_flow_delays(const struct experiment *exp, char *err, size_t errlen)
{
	char setting[96], buf[256];
	const char *why;

	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *f = &exp->flows[i];

		if (!f->extra_delay_at.line)
			continue;
		why = why_not(exp->link.backend, FEAT_FLOW_DELAY, buf, sizeof(buf));
		if (!why)
			continue;
		snprintf(setting, sizeof(setting), "flows[%d].%s", i,
			 f->extra_delay_ms > 0 ? "extra_delay_ms" : "extra_delay_down_ms");
		return config_err_at(exp, f->extra_delay_at, setting, err, errlen, "%s", why);
	}
	return 0;
}

int link_spec_check(const struct experiment *exp, char *err, size_t errlen)
{
	const struct link_spec *l = &exp->link;
	char setting[64], buf[256];
	const char *why;

	for (int s = 0; s < LINK_SET_MAX; s++) {
		enum link_feature f = asks(l, (enum link_setting)s);

		if (!l->at[s].line)
			continue;
		snprintf(setting, sizeof(setting), "link.%s", link_setting_name(s));
		why = f ? why_not(l->backend, f, buf, sizeof(buf)) : NULL;
		if (why)
			return config_err_at(exp, l->at[s], setting, err, errlen, "%s", why);
		if (s == LINK_SET_JITTER && l->backend == LINK_BACKEND_NETEM &&
		    l->jitter_ms > LINK_NETEM_JITTER_MAX_MS)
			return config_err_at(exp, l->at[s], setting, err, errlen,
					     "netem takes at most %.6f ms of jitter; use backend "
					     "= \"tun\"",
					     LINK_NETEM_JITTER_MAX_MS);
		if (s == LINK_SET_TRACE_UP && l->trace_up[0]) {
			int r = check_trace(exp, s, l->trace_up, err, errlen);

			if (r < 0)
				return r;
		}
		if (s == LINK_SET_TRACE_DOWN && l->trace_down[0]) {
			int r = check_trace(exp, s, l->trace_down, err, errlen);

			if (r < 0)
				return r;
		}
	}
	return check_flow_delays(exp, err, errlen);
}

const char *link_netem_lacks(const struct link_spec *l)
{
	if (l->trace_up[0] || l->trace_down[0])
		return netem_lacks[FEAT_TRACE];
	if (l->queue == LINK_QUEUE_CODEL)
		return netem_lacks[FEAT_CODEL];
	if (l->flow_delay)
		return netem_lacks[FEAT_FLOW_DELAY];
	if (l->capture != LINK_CAPTURE_NONE)
		return netem_lacks[FEAT_CAPTURE];
	if (l->jitter_ms > LINK_NETEM_JITTER_MAX_MS)
		return "keeps at most 2147 ms of jitter";
	return NULL;
}

int link_queue_limits(const struct link_spec *l, uint32_t *pkts, uint64_t *bytes)
{
	double b;

	*pkts = 0;
	*bytes = 0;
	switch (l->queue_limit) {
	case LINK_QUEUE_PKTS:
		if (l->queue_pkts < 1 || l->queue_pkts > LINK_QUEUE_PKTS_MAX)
			return -EINVAL;
		*pkts = (uint32_t)l->queue_pkts;
		return 0;
	case LINK_QUEUE_BYTES:
		if (l->queue_bytes < 1 || l->queue_bytes > (uint64_t)LINK_QUEUE_BYTES_MAX)
			return -EINVAL;
		*bytes = l->queue_bytes;
		return 0;
	case LINK_QUEUE_BDP:
		/* A trace has no fixed rate: its rate_mbit is 0, and that is refused too. */
		if (!(l->rate_mbit >= LINK_RATE_MBIT_MIN && l->queue_bdp >= LINK_QUEUE_BDP_MIN &&
		      l->queue_bdp <= LINK_QUEUE_BDP_MAX && l->delay_ms >= 0 &&
		      l->delay_down_ms >= 0))
			return -EINVAL;
		b = link_bdp_bytes(l);
		if (b > LINK_QUEUE_BYTES_MAX)
			return -EINVAL;
		*bytes = (uint64_t)b;
		return 0;
	}
	return -EINVAL;
}
