/* Unit tests of the tun link's super-packet split and join (link/gso.c) on built packets. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ccx_test.h"
#include "link/gso.h"

#define TAG ((uint32_t)sizeof(struct gso_tag))

/* What the split handed out, copied. */
struct seen {
	int n;
	uint8_t pkt[8][2048];
	uint32_t len[8];
};

static void collect(void *ctx, const uint8_t *tagged, uint32_t len)
{
	struct seen *s = ctx;

	CHECK(s->n < 8 && len <= sizeof(s->pkt[0]));
	if (s->n >= 8 || len > sizeof(s->pkt[0]))
		return;
	memcpy(s->pkt[s->n], tagged, len);
	s->len[s->n++] = len;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071, written out independently of gso.c: the complement of the folded sum. */
static uint16_t inet_csum(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < alen; i += 2)
		s += (uint32_t)(a[i] << 8 | (i + 1 < alen ? a[i + 1] : 0));
	for (uint32_t i = 0; i < blen; i += 2)
		s += (uint32_t)(b[i] << 8 | (i + 1 < blen ? b[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The TCP checksum a receiver verifies: pseudo-header + segment with the field zeroed. */
static uint16_t tcp_csum_full(const uint8_t *ip, uint32_t len)
{
	uint8_t ph[40], seg[2048];
	uint32_t ip_len = ip[0] >> 4 == 4 ? (ip[0] & 15u) * 4 : 40, tcp_len = len - ip_len, phl;

	memset(ph, 0, sizeof(ph));
	if (ip[0] >> 4 == 4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(tcp_len >> 8);
		ph[11] = (uint8_t)tcp_len;
		phl = 12;
	} else {
		memcpy(ph, ip + 8, 32);
		ph[34] = (uint8_t)(tcp_len >> 8);
		ph[35] = (uint8_t)tcp_len;
		ph[39] = 6;
		phl = 40;
	}
	memcpy(seg, ip + ip_len, tcp_len);
	seg[16] = seg[17] = 0;
	return inet_csum(ph, phl, seg, tcp_len);
}

/* Builds a super-packet as the kernel hands it to a device with TSO: lengths for the whole,
 * the TCP checksum holding the pseudo-header sum (for the whole TCP length). Returns its
 * length; pkt has TAG bytes of room in front. */
static uint32_t build_super(uint8_t *pkt, int version, uint32_t payload, uint8_t flags)
{
	uint32_t ip_len = version == 4 ? 20 : 40, hdr = ip_len + 32, len = hdr + payload;
	uint8_t *tcp = pkt + ip_len;

	memset(pkt, 0, hdr);
	if (version == 4) {
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[4] = 0xff; /* ID 0xfffe: the IDs of the packets wrap */
		pkt[5] = 0xfe;
		pkt[6] = 0x40; /* DF */
		pkt[8] = 64;
		pkt[9] = 6;
		memcpy(pkt + 12, (const uint8_t[]){198, 18, 0, 1, 198, 19, 0, 1}, 8);
		{
			uint16_t c = inet_csum(pkt, 20, NULL, 0);

			pkt[10] = (uint8_t)(c >> 8);
			pkt[11] = (uint8_t)c;
		}
	} else {
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)((len - 40) >> 8);
		pkt[5] = (uint8_t)(len - 40);
		pkt[6] = 6;
		pkt[7] = 64;
		pkt[8] = 0x20;
		pkt[23] = 1;
		pkt[24] = 0x20;
		pkt[39] = 2;
	}
	tcp[0] = 0xc3; /* ports 50000 -> 5201 */
	tcp[1] = 0x50;
	tcp[2] = 0x14;
	tcp[3] = 0x51;
	tcp[4] = 0xff; /* sequence numbers wrap inside the super-packet */
	tcp[5] = 0xff;
	tcp[6] = 0xf0;
	tcp[7] = 0x00;
	tcp[12] = 8 << 4;
	tcp[13] = flags;
	tcp[14] = 0x01;
	for (int i = 20; i < 32; i++)
		tcp[i] = (uint8_t)(0x10 + i); /* stands for the timestamp option */
	for (uint32_t i = 0; i < payload; i++)
		pkt[hdr + i] = (uint8_t)(i * 7 + i / 251);
	/* The partial checksum: the pseudo-header sum, folded, not inverted. */
	{
		uint32_t s = 0, tl = len - ip_len;

		if (version == 4) {
			for (int i = 12; i < 20; i += 2)
				s += be16(pkt + i);
		} else {
			for (int i = 8; i < 40; i += 2)
				s += be16(pkt + i);
		}
		s += 6 + tl;
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		tcp[16] = (uint8_t)(s >> 8);
		tcp[17] = (uint8_t)s;
	}
	return len;
}

/* A copy of a packet with its left-to-finish checksum finished. */
static void finished(uint8_t *dst, const uint8_t *ip, uint32_t len, uint32_t ip_len)
{
	memcpy(dst, ip, len);
	gso_finish_csum(dst, len, (uint16_t)ip_len, 16);
}

static void test_split(int version)
{
	static uint8_t room[TAG + GSO_MAX_PKT], scratch[TAG + GSO_MAX_HDR + 2048];
	uint8_t *pkt = room + TAG, fin[2048];
	uint32_t ip_len = version == 4 ? 20 : 40, hdr = ip_len + 32;
	uint32_t len = build_super(pkt, version, 3 * 1000 + 500, 0x80 | 0x10 | 0x08 | 0x01);
	struct virtio_net_hdr vh = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type =
		(uint8_t)((version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6) |
			  VIRTIO_NET_HDR_GSO_ECN),
	    .hdr_len = (uint16_t)hdr,
	    .gso_size = 1000,
	    .csum_start = (uint16_t)ip_len,
	    .csum_offset = 16,
	};
	static struct seen s;

	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 77, scratch, sizeof(scratch), collect, &s) == 4);
	CHECK(s.n == 4);
	for (int i = 0; i < s.n; i++) {
		const struct gso_tag *t = (const struct gso_tag *)s.pkt[i];
		const uint8_t *ip = s.pkt[i] + TAG, *tcp = ip + ip_len;
		uint32_t plen = i < 3 ? 1000 : 500, plen_ip = s.len[i] - TAG;

		CHECK(t->group == 77 && t->seg == i && t->gso_size == 1000 && t->hdr_len == hdr);
		CHECK(t->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && t->csum_start == ip_len &&
		      t->csum_offset == 16 && t->gso_type == vh.gso_type);
		CHECK(plen_ip == hdr + plen);
		if (version == 4) {
			CHECK(be16(ip + 2) == plen_ip);
			CHECK(be16(ip + 4) == (uint16_t)(0xfffe + i));
			CHECK(inet_csum(ip, 20, NULL, 0) == 0); /* a valid IPv4 header checksum */
		} else {
			CHECK(be16(ip + 4) == plen_ip - 40);
		}
		CHECK(be32(tcp + 4) == 0xfffff000u + (uint32_t)i * 1000);
		CHECK(tcp[13] == (uint8_t)(0x10 | (i == 0 ? 0x80 : 0) | (i == 3 ? 0x09 : 0)));
		CHECK(memcmp(tcp + 20, pkt + ip_len + 20, 12) == 0);
		CHECK(memcmp(ip + hdr, pkt + hdr + i * 1000, plen) == 0);
		/* Finishing the checksum as the receiver's device would gives the real one. */
		finished(fin, ip, plen_ip, ip_len);
		CHECK(be16(fin + ip_len + 16) == tcp_csum_full(ip, plen_ip));
	}
}

/* Reads the messages the joiner wrote to the other end of a packet socket. */
static int read_msg(int fd, struct virtio_net_hdr *vh, uint8_t *buf, uint32_t *len)
{
	static uint8_t msg[sizeof(*vh) + GSO_MAX_PKT];
	ssize_t n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);

	if (n < (ssize_t)sizeof(*vh))
		return -1;
	memcpy(vh, msg, sizeof(*vh));
	*len = (uint32_t)(n - (ssize_t)sizeof(*vh));
	memcpy(buf, msg + sizeof(*vh), *len);
	return 0;
}

static void test_join(int version)
{
	static uint8_t room[TAG + GSO_MAX_PKT], scratch[TAG + GSO_MAX_HDR + 2048];
	static uint8_t out[GSO_MAX_PKT], orig[GSO_MAX_PKT], fin[GSO_MAX_PKT];
	uint8_t *pkt = room + TAG;
	uint32_t ip_len = version == 4 ? 20 : 40, hdr = ip_len + 32, olen;
	uint32_t len = build_super(pkt, version, 3 * 1000 + 500, 0x10 | 0x08 | 0x01);
	struct virtio_net_hdr vh = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
	    .gso_size = 1000,
	    .csum_start = (uint16_t)ip_len,
	    .csum_offset = 16,
	};
	struct virtio_net_hdr got;
	static struct seen s;
	struct gso_joiner j;
	int sv[2];

	memset(&s, 0, sizeof(s));
	memcpy(orig, pkt, len);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(gso_split(&vh, pkt, len, 5, scratch, sizeof(scratch), collect, &s) == 4);
	gso_joiner_init(&j, sv[0]);

	/* All four in order: the original super-packet, byte for byte. */
	for (int i = 0; i < 4; i++)
		gso_joiner_add(&j, s.pkt[i], s.len[i]);
	gso_joiner_flush(&j);
	CHECK(j.writes == 1 && j.write_errors == 0);
	CHECK(read_msg(sv[1], &got, out, &olen) == 0);
	CHECK(olen == len && memcmp(out, orig, len) == 0);
	CHECK(got.gso_type == vh.gso_type && got.gso_size == 1000 && got.hdr_len == hdr &&
	      got.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && got.csum_start == ip_len &&
	      got.csum_offset == 16);

	/* The third was lost: the first two go as one, the last by itself. */
	gso_joiner_add(&j, s.pkt[0], s.len[0]);
	gso_joiner_add(&j, s.pkt[1], s.len[1]);
	gso_joiner_add(&j, s.pkt[3], s.len[3]);
	gso_joiner_flush(&j);
	CHECK(j.writes == 3);
	CHECK(read_msg(sv[1], &got, out, &olen) == 0);
	CHECK(olen == hdr + 2000 && got.gso_type == vh.gso_type && got.gso_size == 1000);
	CHECK(memcmp(out + hdr, orig + hdr, 2000) == 0);
	CHECK(out[ip_len + 13] == 0x10); /* FIN and PSH stay with the last packet */
	if (version == 4)
		CHECK(be16(out + 2) == hdr + 2000 && inet_csum(out, 20, NULL, 0) == 0);
	else
		CHECK(be16(out + 4) == hdr - 40 + 2000);
	finished(fin, out, olen, ip_len);
	CHECK(be16(fin + ip_len + 16) == tcp_csum_full(out, olen));
	CHECK(read_msg(sv[1], &got, out, &olen) == 0);
	CHECK(olen == s.len[3] - TAG && memcmp(out, s.pkt[3] + TAG, olen) == 0);
	CHECK(got.gso_type == VIRTIO_NET_HDR_GSO_NONE && got.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);

	/* Out of order (a reordering delay line): nothing joins. */
	gso_joiner_add(&j, s.pkt[1], s.len[1]);
	gso_joiner_add(&j, s.pkt[0], s.len[0]);
	gso_joiner_flush(&j);
	CHECK(j.writes == 5);
	close(sv[0]);
	close(sv[1]);
}

/* A packet that is no super-packet (an ACK, a ping) goes through untouched. */
static void test_single(void)
{
	static uint8_t room[TAG + 2048];
	uint8_t *pkt = room + TAG, out[2048];
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .csum_start = 20,
				    .csum_offset = 16},
			      got;
	uint32_t len = build_super(pkt, 4, 0, 0x10), olen;
	static struct seen s;
	struct gso_joiner j;
	int sv[2];

	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 9, NULL, 0, collect, &s) == 1);
	CHECK(s.n == 1 && s.len[0] == TAG + len && memcmp(s.pkt[0] + TAG, pkt, len) == 0);
	CHECK(((const struct gso_tag *)s.pkt[0])->group == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	gso_joiner_init(&j, sv[0]);
	gso_joiner_add(&j, s.pkt[0], s.len[0]);
	gso_joiner_add(&j, s.pkt[0], s.len[0]); /* two ACKs never join */
	gso_joiner_flush(&j);
	CHECK(j.writes == 2);
	CHECK(read_msg(sv[1], &got, out, &olen) == 0);
	CHECK(olen == len && memcmp(out, pkt, len) == 0);
	CHECK(got.flags == vh.flags && got.csum_start == 20 && got.csum_offset == 16 &&
	      got.gso_type == VIRTIO_NET_HDR_GSO_NONE);
	close(sv[0]);
	close(sv[1]);
}

static void test_refused(void)
{
	static uint8_t room[TAG + 4096], scratch[TAG + GSO_MAX_HDR + 2048];
	uint8_t *pkt = room + TAG;
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_UDP,
				    .gso_size = 1000};
	uint32_t len = build_super(pkt, 4, 2500, 0x10);
	static struct seen s;

	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 1, scratch, sizeof(scratch), collect, &s) == -EINVAL);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	pkt[9] = 17; /* says TCP to the device, UDP inside */
	CHECK(gso_split(&vh, pkt, len, 1, scratch, sizeof(scratch), collect, &s) == -EINVAL);
	pkt[9] = 6;
	CHECK(gso_split(&vh, pkt, 40, 1, scratch, sizeof(scratch), collect, &s) ==
	      -EINVAL); /* truncated */
	vh.gso_size = 0;
	CHECK(gso_split(&vh, pkt, len, 1, scratch, sizeof(scratch), collect, &s) == -EINVAL);
	CHECK(s.n == 0);
}

/* gso_size follows the sender's MTU, not the emulator's buffers: a TUN device with a larger MTU
 * hands over packets whose split would not fit. They are refused whole, and nothing written
 * past the scratch buffer (ASan watches the heap block, sized to the byte). */
static void test_oversize(void)
{
	static uint8_t room[TAG + GSO_MAX_PKT];
	uint8_t *pkt = room + TAG;
	uint32_t hdr = 20 + 32, len = build_super(pkt, 4, 3 * 1000 + 500, 0x10);
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .gso_size = 1000,
				    .csum_start = 20,
				    .csum_offset = 16};
	uint32_t fits = TAG + hdr + 1000;
	uint8_t *scratch = malloc(fits);
	static struct seen s;

	CHECK(scratch != NULL);
	if (!scratch)
		return;
	/* To the byte: a packet of 1000 bytes of payload fills the buffer exactly. */
	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 3, scratch, fits, collect, &s) == 4);
	CHECK(s.n == 4 && s.len[0] == fits && s.len[3] == TAG + hdr + 500);
	/* One byte more of gso_size: no packet of the split fits but the last. */
	vh.gso_size = 1001;
	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 4, scratch, fits, collect, &s) == -EMSGSIZE);
	CHECK(s.n == 0);
	/* A payload shorter than gso_size is one packet: it fits when that packet does. */
	len = build_super(pkt, 4, 1000, 0x10);
	vh.gso_size = 8948; /* a 9000-byte MTU */
	memset(&s, 0, sizeof(s));
	CHECK(gso_split(&vh, pkt, len, 5, scratch, fits, collect, &s) == 1);
	CHECK(s.n == 1 && s.len[0] == fits);
	free(scratch);

	/* The emulator's own buffer (a slot of the model, 2048 bytes) against a 9000-byte MTU. */
	{
		uint8_t *slot = malloc(2048);

		CHECK(slot != NULL);
		len = build_super(pkt, 4, 3 * 8948, 0x10);
		memset(&s, 0, sizeof(s));
		CHECK(slot && gso_split(&vh, pkt, len, 6, slot, 2048, collect, &s) == -EMSGSIZE);
		CHECK(s.n == 0);
		free(slot);
	}
}

/* The ports the tun emulator tells flows apart by: TCP over IPv4 (with options) and IPv6;
 * anything else, or too short, is not a flow's. */
static void test_ports(void)
{
	static uint8_t pkt[2048];
	uint16_t src = 0, dst = 0;
	uint32_t len;

	for (int version = 4; version <= 6; version += 2) {
		len = build_super(pkt, version, 100, 0x10);
		CHECK(gso_tcp_ports(pkt, len, &src, &dst) == 0 && src == 50000 && dst == 5201);
		CHECK(gso_tcp_ports(pkt, version == 4 ? 23 : 43, &src, &dst) == -EINVAL);
	}
	len = build_super(pkt, 4, 100, 0x10);
	/* Four bytes of IP options move the TCP header. */
	memmove(pkt + 24, pkt + 20, len - 20);
	pkt[0] = 0x46;
	CHECK(gso_tcp_ports(pkt, len + 4, &src, &dst) == 0 && src == 50000 && dst == 5201);
	pkt[0] = 0x45;
	pkt[9] = 17; /* UDP */
	CHECK(gso_tcp_ports(pkt, len, &src, &dst) == -EINVAL);
	pkt[9] = 6;
	pkt[7] = 1; /* a later fragment */
	CHECK(gso_tcp_ports(pkt, len, &src, &dst) == -EINVAL);
	pkt[0] = 0x25;
	CHECK(gso_tcp_ports(pkt, len, &src, &dst) == -EINVAL);
	CHECK(gso_tcp_ports(pkt, 0, &src, &dst) == -EINVAL);
}

int main(void)
{
	test_ports();
	test_split(4);
	test_split(6);
	test_join(4);
	test_join(6);
	test_single();
	test_refused();
	test_oversize();
	return ccx_test_result();
}
