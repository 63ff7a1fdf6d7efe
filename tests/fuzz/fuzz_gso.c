/* libFuzzer target: the tun link's super-packet split and join (link/gso.c). The input is a
 * virtio-net header, a loss pattern and the packet; the split must give valid packets whose
 * payloads are the original's, and the join must give back runs of them as one packet. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "link/gso.h"

#define TAG	((uint32_t)sizeof(struct gso_tag))
#define SCRATCH 2048u /* the emulator's: a slot of its model */
#define IN_HDR	11u   /* virtio header fields (10 bytes) and the loss pattern */
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* What the split emitted, copied: packets one after the other in one growing buffer. */
struct emitted {
	uint8_t *buf;
	size_t used, cap;
	size_t *off;
	uint32_t *len;
	uint32_t n, n_cap;
};

static void emit(void *ctx, const uint8_t *tagged, uint32_t len)
{
	struct emitted *e = ctx;

	FUZZ_CHECK(len >= TAG, "a packet of %u bytes", len);
	/* Aligned as the model's slots are: the joiner reads the tag in place. */
	e->used = (e->used + 7) & ~(size_t)7;
	if (e->used + len > e->cap) {
		e->cap = (e->used + len) * 2;
		e->buf = realloc(e->buf, e->cap);
	}
	if (e->n == e->n_cap) {
		e->n_cap = e->n_cap ? e->n_cap * 2 : 64;
		e->off = realloc(e->off, e->n_cap * sizeof(*e->off));
		e->len = realloc(e->len, e->n_cap * sizeof(*e->len));
	}
	if (!e->buf || !e->off || !e->len)
		abort();
	memcpy(e->buf + e->used, tagged, len);
	e->off[e->n] = e->used;
	e->len[e->n++] = len;
	e->used += len;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071's sum over a few buffers, folded: 0xffff over a header or segment whose checksum
 * is right. Written here apart from gso.c's. */
FUZZ_NO_COVERAGE static uint16_t ones_sum(const uint8_t *a, uint32_t alen, const uint8_t *b,
					  uint32_t blen)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < alen; i += 2)
		s += (uint32_t)(a[i] << 8 | (i + 1 < alen ? a[i + 1] : 0));
	for (uint32_t i = 0; i < blen; i += 2)
		s += (uint32_t)(b[i] << 8 | (i + 1 < blen ? b[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Checks one IP packet the split or the join made: lengths, IPv4 header checksum, and a TCP
 * checksum that, finished as a receiving device would, verifies. */
FUZZ_NO_COVERAGE static void check_valid(const uint8_t *ip, uint32_t len, uint32_t ip_len,
					 const char *what)
{
	static uint8_t fin[GSO_MAX_PKT + 64];
	uint32_t tcp_len = len - ip_len;
	uint8_t ph[40] = {0};
	uint32_t phl;

	if (ip[0] >> 4 == 4) {
		FUZZ_CHECK(be16(ip + 2) == len, "%s: IPv4 length %u of %u", what, be16(ip + 2),
			   len);
		FUZZ_CHECK(ones_sum(ip, ip_len, NULL, 0) == 0xffff, "%s: IPv4 header checksum",
			   what);
		memcpy(ph, ip + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(tcp_len >> 8);
		ph[11] = (uint8_t)tcp_len;
		phl = 12;
	} else {
		FUZZ_CHECK(be16(ip + 4) == tcp_len, "%s: IPv6 payload length %u of %u", what,
			   be16(ip + 4), tcp_len);
		memcpy(ph, ip + 8, 32);
		ph[34] = (uint8_t)(tcp_len >> 8);
		ph[35] = (uint8_t)tcp_len;
		ph[39] = 6;
		phl = 40;
	}
	memcpy(fin, ip, len);
	gso_finish_csum(fin, len, (uint16_t)ip_len, 16);
	FUZZ_CHECK(ones_sum(ph, phl, fin + ip_len, tcp_len) == 0xffff, "%s: TCP checksum", what);
}

/* The header of a packet made from the original's: what must have changed did, as the
 * kernel's segmentation changes it (k packets in, seq + k x mss, the ID + k), and nothing
 * else. */
FUZZ_NO_COVERAGE static void check_header(const uint8_t *h, const uint8_t *orig, uint32_t hdr_len,
					  uint32_t ip_len, uint32_t k, uint32_t mss, uint8_t flags,
					  const char *what)
{
	const uint8_t *tcp = h + ip_len, *otcp = orig + ip_len;

	for (uint32_t i = 0; i < hdr_len; i++) {
		bool may_differ = (orig[0] >> 4 == 4 &&
				   (i == 2 || i == 3 || i == 4 || i == 5 || i == 10 || i == 11)) ||
				  (orig[0] >> 4 == 6 && (i == 4 || i == 5)) ||
				  (i >= ip_len + 4 && i < ip_len + 8) || i == ip_len + 13 ||
				  i == ip_len + 16 || i == ip_len + 17;

		FUZZ_CHECK(may_differ || h[i] == orig[i], "%s: header byte %u changed", what, i);
	}
	if (orig[0] >> 4 == 4)
		FUZZ_CHECK(be16(h + 4) == (uint16_t)(be16(orig + 4) + k), "%s: IPv4 ID", what);
	FUZZ_CHECK(be32(tcp + 4) == be32(otcp + 4) + k * mss, "%s: seq", what);
	FUZZ_CHECK(tcp[13] == flags, "%s: flags %#x, want %#x", what, tcp[13], flags);
}

struct run {
	uint32_t first, n; /* packets of the split, consecutive */
};

struct join_state {
	const struct emitted *e;
	const uint8_t *orig;
	const struct virtio_net_hdr *vh;
	uint32_t ip_len, hdr_len, mss, nseg;
	const struct run *runs;
	uint32_t nruns, next;
};

/* Reads what the joiner wrote so far; each message must be the next expected run. */
FUZZ_NO_COVERAGE static void drain(int fd, struct join_state *js)
{
	static uint8_t msg[sizeof(struct virtio_net_hdr) + GSO_MAX_PKT + 64];
	struct virtio_net_hdr got;
	ssize_t n;

	while ((n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT)) >= 0) {
		const struct run *run = &js->runs[js->next];
		const uint8_t *ip = msg + sizeof(got);
		uint32_t len = (uint32_t)n - (uint32_t)sizeof(got), payload = 0;
		uint8_t flags = js->orig[js->ip_len + 13];

		FUZZ_CHECK(js->next < js->nruns && n >= (ssize_t)sizeof(got),
			   "message %u of %u runs, %zd bytes", js->next, js->nruns, n);
		js->next++;
		memcpy(&got, msg, sizeof(got));
		FUZZ_CHECK(got.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
			       got.csum_start == js->ip_len && got.csum_offset == 16,
			   "join: checksum fields %u %u %u", got.flags, got.csum_start,
			   got.csum_offset);
		if (run->n == 1) {
			const uint8_t *p = js->e->buf + js->e->off[run->first] + TAG;

			FUZZ_CHECK(len == js->e->len[run->first] - TAG && !memcmp(ip, p, len),
				   "join: packet %u alone is not as split", run->first);
			FUZZ_CHECK(got.gso_type == VIRTIO_NET_HDR_GSO_NONE,
				   "join: alone with type %u", got.gso_type);
			continue;
		}
		FUZZ_CHECK(got.gso_type == js->vh->gso_type && got.gso_size == js->mss &&
			       got.hdr_len == js->hdr_len,
			   "join: type %u size %u hdr %u", got.gso_type, got.gso_size, got.hdr_len);
		for (uint32_t i = run->first; i < run->first + run->n; i++)
			payload += js->e->len[i] - TAG - js->hdr_len;
		FUZZ_CHECK(len == js->hdr_len + payload, "join: %u bytes, want %u", len,
			   js->hdr_len + payload);
		FUZZ_CHECK(!memcmp(ip + js->hdr_len,
				   js->orig + js->hdr_len + (size_t)run->first * js->mss, payload),
			   "join: payload of packets %u..%u", run->first, run->first + run->n - 1);
		if (run->first > 0)
			flags &= (uint8_t)~TCP_CWR;
		if (run->first + run->n < js->nseg)
			flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		check_header(ip, js->orig, js->hdr_len, js->ip_len, run->first, js->mss, flags,
			     "join");
		check_valid(ip, len, js->ip_len, "join");
	}
	FUZZ_CHECK(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s", strerror(errno));
}

FUZZ_NO_COVERAGE static void check_join(const struct emitted *e, const uint8_t *orig,
					const struct virtio_net_hdr *vh, uint32_t ip_len,
					uint32_t hdr_len, uint8_t loss)
{
	static int sv[2] = {-1, -1};
	static struct run *runs;
	static uint32_t runs_cap;
	struct join_state js = {.e = e,
				.orig = orig,
				.vh = vh,
				.ip_len = ip_len,
				.hdr_len = hdr_len,
				.mss = vh->gso_size,
				.nseg = e->n};
	struct gso_joiner j;

	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	if (runs_cap < e->n) {
		runs_cap = e->n;
		runs = realloc(runs, runs_cap * sizeof(*runs));
		if (!runs)
			abort();
	}
	/* A lost packet (the loss pattern's bit i % 8) ends a run; so does the joiner's limit. */
	for (uint32_t i = 0; i < e->n; i++) {
		struct run *last = js.nruns ? &runs[js.nruns - 1] : NULL;

		if (loss >> (i % 8) & 1)
			continue;
		if (last && last->first + last->n == i && last->n < GSO_MAX_SEGS)
			last->n++;
		else
			runs[js.nruns++] = (struct run){.first = i, .n = 1};
	}
	js.runs = runs;
	gso_joiner_init(&j, sv[0]);
	for (uint32_t i = 0; i < e->n; i++) {
		if (loss >> (i % 8) & 1)
			continue;
		gso_joiner_add(&j, e->buf + e->off[i], e->len[i]);
		drain(sv[1], &js);
	}
	gso_joiner_flush(&j);
	drain(sv[1], &js);
	FUZZ_CHECK(js.next == js.nruns && j.writes == js.nruns && !j.write_errors,
		   "join: %u of %u runs read, %llu writes, %llu errors", js.next, js.nruns,
		   (unsigned long long)j.writes, (unsigned long long)j.write_errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct emitted e;
	static uint8_t *scratch;
	const uint8_t *orig = data + IN_HDR;
	uint32_t len, ip_len, hdr_len, payload, mss, nseg;
	struct virtio_net_hdr vh;
	uint8_t *room;
	int r;

	/* An IPv4 packet has at most 65535 bytes; the device hands over no more. */
	if (size < IN_HDR || size - IN_HDR > 65535)
		return 0;
	if (!scratch)
		scratch = malloc(SCRATCH);
	memset(&vh, 0, sizeof(vh));
	vh.flags = data[0];
	vh.gso_type = data[1];
	vh.hdr_len = (uint16_t)(data[2] | data[3] << 8);
	vh.gso_size = (uint16_t)(data[4] | data[5] << 8);
	vh.csum_start = (uint16_t)(data[6] | data[7] << 8);
	vh.csum_offset = (uint16_t)(data[8] | data[9] << 8);
	len = (uint32_t)(size - IN_HDR);
	/* Thousands of tiny packets cover nothing a thousand do not, at a thousand times the
	 * cost of each run: the fuzzer's time goes to other inputs. */
	if (vh.gso_size && len / vh.gso_size > 1024)
		return 0;
	/* Sized to the byte, so that ASan sees any read past the packet. */
	room = malloc(TAG + len);
	if (!scratch || !room)
		abort();
	memcpy(room + TAG, orig, len);
	e.used = 0;
	e.n = 0;
	r = gso_split(&vh, room + TAG, len, 7, scratch, SCRATCH, emit, &e);
	free(room);

	if ((vh.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_NONE) {
		const struct gso_tag *t = (const struct gso_tag *)e.buf;

		FUZZ_CHECK(r == 1 && e.n == 1 && e.len[0] == TAG + len, "alone: %d, %u packets", r,
			   e.n);
		FUZZ_CHECK(!memcmp(e.buf + TAG, orig, len), "alone: packet changed");
		FUZZ_CHECK(t->group == 0 && t->gso_type == VIRTIO_NET_HDR_GSO_NONE &&
			       t->flags == (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
			       t->csum_start == vh.csum_start && t->csum_offset == vh.csum_offset,
			   "alone: tag");
		return 0;
	}
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -EMSGSIZE, "refused with %d", r);
		FUZZ_CHECK(e.n == 0, "refused after emitting %u packets", e.n);
		return 0;
	}
	/* Accepted: TCP over IPv4 (with options) or IPv6, gso_size > 0, the headers there. */
	FUZZ_CHECK(len >= 40 && (orig[0] >> 4 == 4 || orig[0] >> 4 == 6), "accepted %u bytes", len);
	ip_len = orig[0] >> 4 == 4 ? (orig[0] & 15u) * 4 : 40;
	FUZZ_CHECK(ip_len >= 20 && len >= ip_len + 20, "accepted: IP header of %u", ip_len);
	hdr_len = ip_len + (orig[ip_len + 12] >> 4) * 4u;
	mss = vh.gso_size;
	FUZZ_CHECK(hdr_len >= ip_len + 20 && hdr_len <= len && hdr_len <= GSO_MAX_HDR && mss,
		   "accepted: headers %u of %u, mss %u", hdr_len, len, mss);
	payload = len - hdr_len;
	nseg = payload ? (payload + mss - 1) / mss : 1;
	FUZZ_CHECK((uint32_t)r == nseg && e.n == nseg, "%d packets, %u emitted, want %u", r, e.n,
		   nseg);
	for (uint32_t i = 0; i < nseg; i++) {
		const struct gso_tag *t = (const struct gso_tag *)(e.buf + e.off[i]);
		const uint8_t *p = e.buf + e.off[i] + TAG;
		uint32_t seg_len = payload - i * mss < mss ? payload - i * mss : mss;
		uint8_t flags = orig[ip_len + 13];

		FUZZ_CHECK(e.len[i] == TAG + hdr_len + seg_len && e.len[i] <= SCRATCH,
			   "packet %u: %u bytes", i, e.len[i]);
		FUZZ_CHECK(t->group == 7 && t->seg == i && t->gso_size == mss &&
			       t->hdr_len == hdr_len && t->gso_type == vh.gso_type &&
			       t->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && t->csum_start == ip_len &&
			       t->csum_offset == 16,
			   "packet %u: tag", i);
		/* Together, the packets' payloads are the original's, in order. */
		FUZZ_CHECK(!memcmp(p + hdr_len, orig + hdr_len + (size_t)i * mss, seg_len),
			   "packet %u: payload", i);
		if (i > 0)
			flags &= (uint8_t)~TCP_CWR;
		if (i + 1 < nseg)
			flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		check_header(p, orig, hdr_len, ip_len, i, mss, flags, "split");
		check_valid(p, hdr_len + seg_len, ip_len, "split");
	}
	check_join(&e, orig, &vh, ip_len, hdr_len, data[10]);
	return 0;
}
