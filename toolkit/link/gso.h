/* TCP super-packets (GSO) on the tun link: split into the wire packets they stand for on the
 * way in, so loss, queue and rate act on every packet, and joined back on the way out, so the
 * receiving stack takes a run of packets in one go, as GRO would give it. */
#ifndef CCX_LINK_GSO_H
#define CCX_LINK_GSO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define GSO_MAX_SEGS 64	   /* wire packets joined into one write at most */
#define GSO_MAX_HDR  128   /* IP + TCP header bytes a split packet may have */
#define GSO_MAX_PKT  65536 /* the largest super-packet the device hands over */

/* In front of every packet in the emulator's model (its prefix): how to hand it on. */
struct gso_tag {
	uint8_t flags;	  /* VIRTIO_NET_HDR_F_NEEDS_CSUM: the TCP/UDP checksum is left to
			   * finish (it holds the pseudo-header sum), as the device gave it */
	uint8_t gso_type; /* of the super-packet it came from; VIRTIO_NET_HDR_GSO_NONE if alone */
	uint16_t csum_start, csum_offset;
	uint16_t gso_size; /* payload bytes of every packet of its super-packet but the last */
	uint16_t hdr_len;  /* IP + TCP header bytes */
	uint16_t seg;	   /* its place in the super-packet */
	uint32_t group;	   /* which super-packet it came from; 0 for a packet that came alone */
};

_Static_assert(sizeof(struct gso_tag) == 16, "gso_tag is the model's 16-byte prefix");

/* Receives each packet of a split: tag and packet, contiguous, len counting both. */
typedef void (*gso_emit_fn)(void *ctx, const uint8_t *tagged, uint32_t len);

/* A packet read from the device: vh is its virtio header, pkt (len bytes) the IP packet.
 * A packet that is not a super-packet goes to emit as it is, tagged in place: pkt must have
 * sizeof(struct gso_tag) writable bytes in front of it. A TCP super-packet goes out as one
 * packet per gso_size of payload, each a valid packet of its own (lengths, IPv4 ID and header
 * checksum, sequence number, flags as the kernel's segmentation sets them, checksum left to
 * finish), built in scratch (scratch_len bytes; only a super-packet uses it), all carrying
 * `group`. Returns the number of packets emitted; -EINVAL for a super-packet it cannot split
 * (not TCP over IPv4/IPv6 without extension headers, truncated); -EMSGSIZE when a packet of
 * the split (tag, headers and gso_size of payload) would not fit in scratch. Nothing is
 * emitted when it fails. */
int gso_split(const struct virtio_net_hdr *vh, uint8_t *pkt, uint32_t len, uint32_t group,
	      uint8_t *scratch, uint32_t scratch_len, gso_emit_fn emit, void *ctx);

/* Gathers consecutive packets of one super-packet and writes them to fd as one, each other
 * packet by itself, with the virtio header the device expects. */
struct gso_joiner {
	int fd;
	uint64_t writes, write_errors;
	/* The run being gathered. */
	const uint8_t *first, *last; /* tagged packets; they stay valid until the flush */
	uint32_t first_len;
	uint32_t n, payload;
	struct iovec iov[3 + GSO_MAX_SEGS];
	uint8_t hdr[GSO_MAX_HDR];
	struct virtio_net_hdr vh;
};

void gso_joiner_init(struct gso_joiner *j, int fd);
/* Adds a tagged packet (as the model hands it out); writes the run gathered so far first
 * when this packet does not continue it. The packet must stay valid until the next flush. */
void gso_joiner_add(struct gso_joiner *j, const uint8_t *tagged, uint32_t len);
/* Writes what is gathered. */
void gso_joiner_flush(struct gso_joiner *j);

/* The TCP ports of an IP packet (IPv4, or IPv6 without extension headers): 0, or -EINVAL
 * for anything else or a packet too short to hold them. */
int gso_tcp_ports(const uint8_t *pkt, uint32_t len, uint16_t *src, uint16_t *dst);

/* Finishes a checksum the device left to finish (VIRTIO_NET_HDR_F_NEEDS_CSUM): the 16-bit
 * ones' complement sum from csum_start to the end, stored at csum_start + csum_offset. */
void gso_finish_csum(uint8_t *pkt, uint32_t len, uint16_t csum_start, uint16_t csum_offset);

#endif
