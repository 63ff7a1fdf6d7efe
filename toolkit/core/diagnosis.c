/* The limit verdict of a connection or a flow from the kernel's chrono accounting. */
#include "core/diagnosis.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

static double nn(double v)
{
	return isnan(v) || v < 0 ? 0 : v;
}

double diag_cwnd_ms(const struct diag_ms *d)
{
	return fmax(0, nn(d->busy_ms) - nn(d->rwnd_ms) - nn(d->sndbuf_ms));
}

double diag_idle_ms(const struct diag_ms *d)
{
	return fmax(0, nn(d->life_ms) - nn(d->busy_ms));
}

enum diag_limit diag_classify(const struct diag_ms *d, double *pct)
{
	double busy = nn(d->busy_ms), life = nn(d->life_ms), cwnd = diag_cwnd_ms(d);

	*pct = NAN;
	if (busy <= 0 && life <= 0)
		return DIAG_NONE;
	/* The chrono counts whole jiffies: a life shorter than busy is rounding, not work. */
	if (life > busy && 100 * diag_idle_ms(d) / life > DIAG_APP_IDLE_PCT) {
		*pct = 100 * diag_idle_ms(d) / life;
		return DIAG_APP;
	}
	if (busy <= 0)
		return DIAG_NONE;
	/* The largest share of busy time; a tie goes to the receiver, then the sender's
	 * buffer: those are settings someone can change. */
	if (nn(d->rwnd_ms) >= nn(d->sndbuf_ms) && nn(d->rwnd_ms) >= cwnd) {
		*pct = 100 * nn(d->rwnd_ms) / busy;
		return DIAG_RWND;
	}
	if (nn(d->sndbuf_ms) >= cwnd) {
		*pct = 100 * nn(d->sndbuf_ms) / busy;
		return DIAG_SNDBUF;
	}
	*pct = 100 * cwnd / busy;
	return DIAG_CWND;
}

const char *diag_limit_name(enum diag_limit l)
{
	static const char *const names[] = {"", "app", "rwnd", "sndbuf", "cwnd"};

	return l >= DIAG_NONE && l <= DIAG_CWND ? names[l] : "";
}

/* " (name = value)" for a knob the config set, "" otherwise. */
static void knob_note(char *buf, size_t len, const char *name, uint64_t value)
{
	if (value)
		snprintf(buf, len, " (%s = %" PRIu64 ")", name, value);
}

void diag_verdict(const struct diag_ms *d, char *buf, size_t len)
{
	double pct;
	char knob[64] = "";

	switch (diag_classify(d, &pct)) {
	case DIAG_APP:
		snprintf(buf, len,
			 "application limited: idle %.0f%% of its life (nothing to send and "
			 "nothing in flight)",
			 pct);
		break;
	case DIAG_RWND:
		knob_note(knob, sizeof(knob), "rcvbuf_bytes", d->rcvbuf_bytes);
		snprintf(buf, len,
			 "receive-window limited %.0f%% of busy time: the receiver's buffer%s "
			 "caps it",
			 pct, knob);
		break;
	case DIAG_SNDBUF:
		knob_note(knob, sizeof(knob), "sndbuf_bytes", d->sndbuf_bytes);
		snprintf(buf, len,
			 "send-buffer limited %.0f%% of busy time: the sender's buffer%s caps it",
			 pct, knob);
		break;
	case DIAG_CWND:
		if (nn(d->retrans) > 0)
			snprintf(buf, len,
				 "network limited (cwnd) %.0f%% of busy time with %.0f "
				 "retransmissions: loss",
				 pct, d->retrans);
		else
			snprintf(buf, len,
				 "network limited (cwnd) %.0f%% of busy time without loss", pct);
		break;
	default:
		snprintf(buf, len, "no data sent");
		break;
	}
}
