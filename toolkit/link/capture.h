/* The bottleneck's packets as pcap files (link.capture), written by the tun emulator through
 * libpcap: every wire packet the model took in, and apart the ones it dropped. */
#ifndef CCX_LINK_CAPTURE_H
#define CCX_LINK_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_FILE	   "link.pcap"
#define CAPTURE_DROPS_FILE "link_drops.pcap"

struct pcap;
struct pcap_dumper;

/* One pcap file: libpcap's dumper over a stdio stream with a large buffer of ours. */
struct capture_file {
	struct pcap *pcap; /* a dead handle: it gives the file its link type and precision */
	struct pcap_dumper *dumper;
	char *buf;
	uint64_t pkts;
};

struct capture {
	struct capture_file all, drops;
	uint32_t snaplen_bytes;
	/* Wall time = the emulator's CLOCK_MONOTONIC time + this, fixed once at the run's t0. */
	int64_t wall_minus_mono_ns;
	bool ok; /* every record reached the files (false after a failed write or flush) */
};

/* Creates dir/link.pcap and dir/link_drops.pcap (raw IP, ns timestamps), keeping
 * snaplen_bytes of each packet (0: all of it). Returns 0 or -errno. */
int capture_open(struct capture *c, const char *dir, uint32_t snaplen_bytes);
/* Fixes the clock's conversion: t0_mono_ns, the run's t0 on CLOCK_MONOTONIC, was
 * t0_unix_ns on the wall clock. */
void capture_set_t0(struct capture *c, uint64_t t0_mono_ns, uint64_t t0_unix_ns);
/* One IP packet of len bytes that arrived at mono_ns (CLOCK_MONOTONIC), into link.pcap, or
 * into link_drops.pcap when dropped is set. Buffered: a write to the file only every
 * CAPTURE_BUF_BYTES. */
void capture_packet(struct capture *c, bool dropped, const uint8_t *pkt, uint32_t len,
		    uint64_t mono_ns);
/* Flushes and closes both files (their pkts stay). Returns 0, or -EIO when a record may be
 * missing. */
int capture_close(struct capture *c);

#endif
