/* The bottleneck's packets as pcap files (link.capture), written for the tun emulator through
 * libpcap: every wire packet the model took in, and apart the ones it dropped. */
#ifndef CCX_LINK_CAPTURE_H
#define CCX_LINK_CAPTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_FILE	   "link.pcap"
#define CAPTURE_DROPS_FILE "link_drops.pcap"

/* Records wait in chunks of CAPTURE_CHUNK_BYTES for the writer thread; CAPTURE_CHUNKS of them
 * (16 MiB, ~0.13 s of full packets at 1 Gbit/s) absorb a slow disk before records are lost. */
#define CAPTURE_CHUNK_BYTES (1u << 20)
#define CAPTURE_CHUNKS	    16

struct pcap;
struct pcap_dumper;

enum capture_which {
	CAPTURE_ALL = 0,
	CAPTURE_DROPS = 1,
};

struct capture_chunk {
	uint8_t *data;
	uint32_t used;
};

struct capture {
	/* Only the writer thread touches these once capture_open returned. */
	struct pcap *pcap; /* a dead handle: the files' link type, snap length and precision */
	struct pcap_dumper *dumper[2];
	char *stdio_buf[2];
	/* The packet path fills one chunk (no lock); the lock is taken per chunk handed over. */
	struct capture_chunk chunk[CAPTURE_CHUNKS];
	int filling;		  /* the chunk being filled, -1 when none was free */
	int full[CAPTURE_CHUNKS]; /* chunks waiting for the writer, in order */
	int n_full, full_head;
	int free_list[CAPTURE_CHUNKS];
	int n_free;
	bool stop, thread_started, ok; /* ok: every record handed over reached the files */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint32_t snaplen_bytes;
	int64_t wall_minus_mono_ns; /* wall time = the emulator's CLOCK_MONOTONIC time + this */
	/* Per file: records written, and records left out because every chunk was waiting for
	 * the disk (the packet path does not wait). */
	uint64_t pkts[2], lost[2];
};

/* Creates dir/link.pcap and dir/link_drops.pcap (raw IP, ns timestamps), keeping
 * snaplen_bytes of each packet (0: all of it), and starts the writer thread. Returns 0 or
 * -errno. */
int capture_open(struct capture *c, const char *dir, uint32_t snaplen_bytes);
/* Fixes the clock's conversion: t0_mono_ns, the run's t0 on CLOCK_MONOTONIC, was
 * t0_unix_ns on the wall clock. */
void capture_set_t0(struct capture *c, uint64_t t0_mono_ns, uint64_t t0_unix_ns);
/* One IP packet of len bytes that arrived at mono_ns (CLOCK_MONOTONIC), for the file
 * `which`: a copy into a chunk, so the packet path never waits for the disk. */
void capture_packet(struct capture *c, enum capture_which which, const uint8_t *pkt, uint32_t len,
		    uint64_t mono_ns);
/* Writes what is left, stops the thread, closes both files (pkts and lost stay). Returns
 * 0, or -EIO when a record handed over may be missing. */
int capture_close(struct capture *c);

#endif
