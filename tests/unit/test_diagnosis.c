/* Unit tests for the limit verdicts of core/diagnosis.c (thresholds in docs/diagnosis.md). */
#include "ccx_test.h"
#include "core/diagnosis.h"

#include <math.h>
#include <string.h>

static enum diag_limit classify(double life, double busy, double rwnd, double sndbuf, double *pct)
{
	struct diag_ms d = {.life_ms = life, .busy_ms = busy, .rwnd_ms = rwnd, .sndbuf_ms = sndbuf};

	return diag_classify(&d, pct);
}

static void test_classify(void)
{
	double pct;

	/* Idle more than half of its life: application limited, whatever the busy part was. */
	CHECK(classify(1000, 400, 400, 0, &pct) == DIAG_APP && fabs(pct - 60) < 1e-9);
	CHECK(classify(1000, 500, 0, 0, &pct) == DIAG_CWND && fabs(pct - 100) < 1e-9);
	/* The largest share of busy time wins. */
	CHECK(classify(1000, 1000, 710, 0, &pct) == DIAG_RWND && fabs(pct - 71) < 1e-9);
	CHECK(classify(1000, 1000, 100, 600, &pct) == DIAG_SNDBUF && fabs(pct - 60) < 1e-9);
	CHECK(classify(1000, 1000, 300, 300, &pct) == DIAG_CWND && fabs(pct - 40) < 1e-9);
	/* Whole jiffies: busy a little over the life is not negative idle time. */
	CHECK(classify(3238.4, 3240, 3220, 0, &pct) == DIAG_RWND);
	CHECK(classify(0, 0, 0, 0, &pct) == DIAG_NONE && isnan(pct));
	CHECK(classify(NAN, NAN, NAN, NAN, &pct) == DIAG_NONE);
}

static void test_words(void)
{
	struct diag_ms d = {
	    .life_ms = 3000, .busy_ms = 3000, .rwnd_ms = 2130, .rcvbuf_bytes = 4096};
	char buf[192];

	diag_verdict(&d, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "receive-window limited 71% of busy time: the receiver's buffer "
			  "(rcvbuf_bytes = 4096) caps it");
	d = (struct diag_ms){.life_ms = 1000, .busy_ms = 1000, .sndbuf_ms = 900};
	diag_verdict(&d, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "send-buffer limited 90% of busy time: the sender's buffer caps it");
	d = (struct diag_ms){.life_ms = 1000, .busy_ms = 990, .retrans = 6};
	diag_verdict(&d, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "network limited (cwnd) 100% of busy time with 6 retransmissions: loss");
	CHECK_MSG(diag_cwnd_ms(&d) == 990 && fabs(diag_idle_ms(&d) - 10) < 1e-9, "%g %g",
		  diag_cwnd_ms(&d), diag_idle_ms(&d));
	d = (struct diag_ms){.life_ms = 3000, .busy_ms = 640};
	diag_verdict(&d, buf, sizeof(buf));
	CHECK(strstr(buf, "application limited: idle 79%") == buf && !strchr(buf, ','));
	CHECK_STR_EQ(diag_limit_name(DIAG_SNDBUF), "sndbuf");
}

int main(void)
{
	test_classify();
	test_words();
	return ccx_test_failures ? 1 : 0;
}
