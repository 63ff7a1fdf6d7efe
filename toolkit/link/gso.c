/* TCP super-packets on the tun link: split on the way in, joined on the way out. */
#include "link/gso.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#define IPPROTO_TCP_NUM 6
#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_CWR		0x80
#define TCP_CHECK_OFF	16 /* where the checksum sits in a TCP header */
#define TAG_LEN		((uint32_t)sizeof(struct gso_tag))

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The Internet checksum's ones' complement sum of big-endian 16-bit words, unfolded. */
static uint64_t sum16(const uint8_t *p, uint32_t len, uint64_t acc)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get16(p + i);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void ipv4_set_check(uint8_t *ip, uint32_t ihl)
{
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, ihl, 0)));
}

/* The sum of the pseudo-header TCP's checksum covers, for a TCP length of tcp_len. */
static uint64_t pseudo_sum(const uint8_t *ip, uint32_t tcp_len)
{
	if (ip[0] >> 4 == 4)
		return sum16(ip + 12, 8, 0) + IPPROTO_TCP_NUM + tcp_len;
	return sum16(ip + 8, 32, 0) + IPPROTO_TCP_NUM + tcp_len;
}

/* What a checksum left to finish holds: the pseudo-header's sum, folded, not inverted. */
static void tcp_set_partial(uint8_t *ip, uint32_t ip_len, uint32_t tcp_len)
{
	put16(ip + ip_len + TCP_CHECK_OFF, fold(pseudo_sum(ip, tcp_len)));
}

int gso_tcp_ports(const uint8_t *pkt, uint32_t len, uint16_t *src, uint16_t *dst)
{
	uint32_t l4;

	if (len < 1)
		return -EINVAL;
	if (pkt[0] >> 4 == 4) {
		/* A fragment past the first has no ports. */
		if (len < 20 || pkt[9] != IPPROTO_TCP || (get16(pkt + 6) & 0x1fff))
			return -EINVAL;
		l4 = (pkt[0] & 0x0f) * 4u;
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40 || pkt[6] != IPPROTO_TCP)
			return -EINVAL;
		l4 = 40;
	} else {
		return -EINVAL;
	}
	if (l4 < 20 || len < l4 + 4)
		return -EINVAL;
	*src = get16(pkt + l4);
	*dst = get16(pkt + l4 + 2);
	return 0;
}

void gso_finish_csum(uint8_t *pkt, uint32_t len, uint16_t csum_start, uint16_t csum_offset)
{
	if ((uint32_t)csum_start + csum_offset + 2 > len)
		return;
	put16(pkt + csum_start + csum_offset,
	      (uint16_t)~fold(sum16(pkt + csum_start, len - csum_start, 0)));
}

/* The IP header's length, if this is TCP over IPv4 or over IPv6 without extension headers
 * (what the kernel's TSO hands a device), else 0. */
static uint32_t tcp_ip_len(const uint8_t *pkt, uint32_t len)
{
	uint32_t ihl;

	if (len < 20)
		return 0;
	if (pkt[0] >> 4 == 4) {
		ihl = (pkt[0] & 15u) * 4;
		return ihl >= 20 && pkt[9] == IPPROTO_TCP_NUM && len >= ihl + 20 ? ihl : 0;
	}
	if (pkt[0] >> 4 == 6 && len >= 60 && pkt[6] == IPPROTO_TCP_NUM)
		return 40;
	return 0;
}

/* Sets the IP length fields for a packet of tcp_len bytes of TCP. */
static void ip_set_len(uint8_t *ip, uint32_t ip_len, uint32_t tcp_len)
{
	if (ip[0] >> 4 == 4) {
		put16(ip + 2, (uint16_t)(ip_len + tcp_len));
		ipv4_set_check(ip, ip_len);
	} else {
		put16(ip + 4, (uint16_t)tcp_len);
	}
}

int gso_split(const struct virtio_net_hdr *vh, uint8_t *pkt, uint32_t len, uint32_t group,
	      uint8_t *scratch, uint32_t scratch_len, gso_emit_fn emit, void *ctx)
{
	struct gso_tag tag = {
	    .flags = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = VIRTIO_NET_HDR_GSO_NONE,
	    .csum_start = vh->csum_start,
	    .csum_offset = vh->csum_offset,
	};
	uint32_t ip_len, hdr_len, payload, nseg, mss = vh->gso_size;
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint8_t *out;

	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		memcpy(pkt - TAG_LEN, &tag, TAG_LEN);
		emit(ctx, pkt - TAG_LEN, len + TAG_LEN);
		return 1;
	}
	ip_len = tcp_ip_len(pkt, len);
	if (!ip_len || !mss ||
	    type != (ip_len == 40 && pkt[0] >> 4 == 6 ? VIRTIO_NET_HDR_GSO_TCPV6
						      : VIRTIO_NET_HDR_GSO_TCPV4))
		return -EINVAL;
	hdr_len = ip_len + (pkt[ip_len + 12] >> 4) * 4u;
	if (hdr_len < ip_len + 20 || hdr_len > len || hdr_len > GSO_MAX_HDR)
		return -EINVAL;
	payload = len - hdr_len;
	nseg = payload ? (payload + mss - 1) / mss : 1;
	/* gso_size is the sender's MSS, which follows the device's MTU, not our buffer: every
	 * packet but the last has mss bytes of payload, the last no more. */
	if (TAG_LEN + hdr_len + (payload < mss ? payload : mss) > scratch_len)
		return -EMSGSIZE;
	out = scratch + TAG_LEN;

	tag.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tag.gso_type = vh->gso_type;
	tag.csum_start = (uint16_t)ip_len;
	tag.csum_offset = TCP_CHECK_OFF;
	tag.gso_size = (uint16_t)mss;
	tag.hdr_len = (uint16_t)hdr_len;
	tag.group = group;
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t seg_len = payload - i * mss < mss ? payload - i * mss : mss;
		uint8_t *tcp = out + ip_len;

		tag.seg = (uint16_t)i;
		memcpy(scratch, &tag, TAG_LEN);
		memcpy(out, pkt, hdr_len);
		memcpy(out + hdr_len, pkt + hdr_len + i * mss, seg_len);
		/* As the kernel's TCP segmentation does: consecutive IPv4 IDs, CWR on the first
		 * packet only, FIN and PSH on the last only. */
		if (out[0] >> 4 == 4)
			put16(out + 4, (uint16_t)(get16(pkt + 4) + i));
		ip_set_len(out, ip_len, hdr_len - ip_len + seg_len);
		put32(tcp + 4, get32(pkt + ip_len + 4) + i * mss);
		if (i > 0)
			tcp[13] &= (uint8_t)~TCP_CWR;
		if (i + 1 < nseg)
			tcp[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		tcp_set_partial(out, ip_len, hdr_len - ip_len + seg_len);
		emit(ctx, scratch, TAG_LEN + hdr_len + seg_len);
	}
	return (int)nseg;
}

void gso_joiner_init(struct gso_joiner *j, int fd)
{
	memset(j, 0, sizeof(*j));
	j->fd = fd;
}

static const struct gso_tag *tag_of(const uint8_t *tagged)
{
	return (const struct gso_tag *)tagged;
}

void gso_joiner_flush(struct gso_joiner *j)
{
	const struct gso_tag *t;
	int n_iov = 2;

	if (!j->n)
		return;
	t = tag_of(j->first);
	memset(&j->vh, 0, sizeof(j->vh));
	j->vh.flags = t->flags;
	j->vh.csum_start = t->csum_start;
	j->vh.csum_offset = t->csum_offset;
	j->iov[0].iov_base = &j->vh;
	j->iov[0].iov_len = sizeof(j->vh);
	if (j->n == 1) {
		/* By itself, as it came or as the split made it. */
		j->iov[1].iov_base = (void *)(j->first + TAG_LEN);
		j->iov[1].iov_len = j->first_len - TAG_LEN;
	} else {
		/* One super-packet: the first packet's header, lengths and checksums for the
		 * whole, FIN and PSH from the last, then every packet's payload. */
		uint32_t ip_len = t->csum_start, tcp_len = t->hdr_len - ip_len + j->payload;
		const uint8_t *last_tcp = j->last + TAG_LEN + ip_len;

		memcpy(j->hdr, j->first + TAG_LEN, t->hdr_len);
		ip_set_len(j->hdr, ip_len, tcp_len);
		j->hdr[ip_len + 13] |= last_tcp[13] & (TCP_FIN | TCP_PSH);
		tcp_set_partial(j->hdr, ip_len, tcp_len);
		j->vh.gso_type = t->gso_type;
		j->vh.gso_size = t->gso_size;
		j->vh.hdr_len = t->hdr_len;
		j->iov[1].iov_base = j->hdr;
		j->iov[1].iov_len = t->hdr_len;
		n_iov = 2 + (int)j->n;
	}
	if (writev(j->fd, j->iov, n_iov) < 0)
		j->write_errors++;
	else
		j->writes++;
	j->n = 0;
}

void gso_joiner_add(struct gso_joiner *j, const uint8_t *tagged, uint32_t len)
{
	const struct gso_tag *t = tag_of(tagged);

	if (j->n && t->group && t->group == tag_of(j->first)->group &&
	    t->seg == tag_of(j->last)->seg + 1 && j->n < GSO_MAX_SEGS) {
		uint32_t hdr = TAG_LEN + t->hdr_len;

		j->iov[2 + j->n].iov_base = (void *)(tagged + hdr);
		j->iov[2 + j->n].iov_len = len - hdr;
		j->payload += len - hdr;
		j->last = tagged;
		j->n++;
		return;
	}
	gso_joiner_flush(j);
	j->first = j->last = tagged;
	j->first_len = len;
	j->n = 1;
	if (t->group) {
		uint32_t hdr = TAG_LEN + t->hdr_len;

		j->iov[2].iov_base = (void *)(tagged + hdr);
		j->iov[2].iov_len = len - hdr;
		j->payload = len - hdr;
	}
}
