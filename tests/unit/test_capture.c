/* The tun link's packet capture (link/capture.c), read back with libpcap's own reader: each
 * record in its file, in order, at the wall time its arrival maps to, cut at the snap length;
 * every record handed over is written or counted as left out. */
#include "ccx_test.h"
#include "link/capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0_MONO_NS 5000000000ull
#define T0_UNIX_NS 1796000000123456789ull

struct seen {
	uint64_t n;
	uint64_t ts_ns[8];
	uint32_t len[8], caplen[8];
	uint8_t first[8], last[8];
	int link_type;
	uint32_t magic; /* 0xa1b23c4d: nanosecond timestamps */
	uint32_t snaplen;
};

/* Reads every record of path; false when libpcap cannot open it. */
static bool read_back(const char *path, struct seen *s)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;

	memset(s, 0, sizeof(*s));
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", path, err);
		return false;
	}
	s->link_type = pcap_datalink(p);
	FILE *f = fopen(path, "rb");

	if (!f || fread(&s->magic, sizeof(s->magic), 1, f) != 1)
		s->magic = 0;
	if (f)
		fclose(f);
	s->snaplen = (uint32_t)pcap_snapshot(p);
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (s->n < 8) {
			s->ts_ns[s->n] =
			    (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
			s->len[s->n] = h->len;
			s->caplen[s->n] = h->caplen;
			s->first[s->n] = data[0];
			s->last[s->n] = data[h->caplen - 1];
		}
		s->n++;
	}
	pcap_close(p);
	return true;
}

static void fill(uint8_t *pkt, uint32_t len, uint8_t tag)
{
	memset(pkt, tag, len);
	pkt[0] = 0x45; /* IPv4, as the link carries */
	pkt[len - 1] = tag ^ 0xff;
}

static void test_records(const char *dir, uint32_t snaplen)
{
	static uint8_t pkt[1500];
	char path[512];
	struct capture c;
	struct seen s;

	CHECK(capture_open(&c, dir, snaplen) == 0);
	capture_set_t0(&c, T0_MONO_NS, T0_UNIX_NS);
	fill(pkt, 1500, 1);
	capture_packet(&c, CAPTURE_ALL, pkt, 1500, T0_MONO_NS + 1);
	fill(pkt, 52, 2);
	capture_packet(&c, CAPTURE_ALL, pkt, 52, T0_MONO_NS + 2500000000ull);
	fill(pkt, 1500, 3);
	capture_packet(&c, CAPTURE_DROPS, pkt, 1500, T0_MONO_NS + 1);
	CHECK(capture_close(&c) == 0);
	CHECK(c.pkts[CAPTURE_ALL] == 2 && c.pkts[CAPTURE_DROPS] == 1);
	CHECK(c.lost[CAPTURE_ALL] == 0 && c.lost[CAPTURE_DROPS] == 0);

	snprintf(path, sizeof(path), "%s/%s", dir, CAPTURE_FILE);
	CHECK(read_back(path, &s));
	CHECK(s.link_type == DLT_RAW);
	CHECK_MSG(s.magic == 0xa1b23c4d, "magic %#x", s.magic);
	CHECK_MSG(s.n == 2, "%llu records", (unsigned long long)s.n);
	/* The arrival on the emulator's clock, moved onto the wall clock by t0, to the ns. */
	CHECK(s.ts_ns[0] == T0_UNIX_NS + 1);
	CHECK(s.ts_ns[1] == T0_UNIX_NS + 2500000000ull);
	CHECK(s.len[0] == 1500 && s.len[1] == 52);
	if (snaplen) {
		CHECK(s.snaplen == snaplen);
		CHECK(s.caplen[0] == snaplen && s.last[0] == 1);
	} else {
		CHECK(s.caplen[0] == 1500 && s.last[0] == (1 ^ 0xff));
	}
	CHECK(s.first[0] == 0x45);
	CHECK(s.caplen[1] == 52 && s.last[1] == (2 ^ 0xff));

	snprintf(path, sizeof(path), "%s/%s", dir, CAPTURE_DROPS_FILE);
	CHECK(read_back(path, &s));
	CHECK(s.n == 1 && s.ts_ns[0] == T0_UNIX_NS + 1 && s.len[0] == 1500);
}

/* More than every chunk holds at once: what the writer did not take in time is counted. */
static void test_volume(const char *dir)
{
	static uint8_t pkt[1500];
	const uint64_t n = 3 * CAPTURE_CHUNKS * (CAPTURE_CHUNK_BYTES / 1500);
	char path[512];
	struct capture c;
	struct seen s;

	CHECK(capture_open(&c, dir, 0) == 0);
	capture_set_t0(&c, T0_MONO_NS, T0_UNIX_NS);
	fill(pkt, 1500, 7);
	for (uint64_t i = 0; i < n; i++)
		capture_packet(&c, CAPTURE_ALL, pkt, 1500, T0_MONO_NS + i);
	CHECK(capture_close(&c) == 0);
	CHECK_MSG(c.pkts[CAPTURE_ALL] + c.lost[CAPTURE_ALL] == n, "%llu + %llu of %llu",
		  (unsigned long long)c.pkts[CAPTURE_ALL], (unsigned long long)c.lost[CAPTURE_ALL],
		  (unsigned long long)n);
	snprintf(path, sizeof(path), "%s/%s", dir, CAPTURE_FILE);
	CHECK(read_back(path, &s));
	CHECK(s.n == c.pkts[CAPTURE_ALL]);
}

int main(void)
{
	char dir[] = "/tmp/ccx-test-capture-unit-XXXXXX";
	char path[512];
	struct capture c;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_records(dir, 0);
	test_records(dir, 128);
	test_volume(dir);
	/* A folder that is not there: an error, nothing half-open. */
	CHECK(capture_open(&c, "/nonexistent/ccx", 0) < 0);

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i ? CAPTURE_DROPS_FILE : CAPTURE_FILE);
		unlink(path);
	}
	rmdir(dir);
	return ccx_test_result();
}
