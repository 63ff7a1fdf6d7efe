/* The bottleneck's packets as pcap files: the packet path copies records into chunks, a thread
 * of the emulator hands them to libpcap's dumper (capture.h). */
#include "link/capture.h"
#include "core/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file's stdio buffer: the writer thread calls write(2) once per this many bytes. */
#define STDIO_BUF_BYTES (1u << 20)
/* The largest packet the emulator holds is a slot of the model (2 KB); pcap wants a bound. */
#define MAX_SNAPLEN 65535u

/* A record in a chunk: its header, then caplen bytes, padded to 8. */
struct record {
	struct pcap_pkthdr h;
	uint32_t which;
	uint32_t pad;
};

static uint32_t record_bytes(uint32_t caplen)
{
	return (uint32_t)((sizeof(struct record) + caplen + 7) & ~(size_t)7);
}

static void write_chunk(struct capture *c, const struct capture_chunk *k)
{
	for (uint32_t off = 0; off < k->used;) {
		const struct record *r = (const void *)(k->data + off);

		pcap_dump((u_char *)c->dumper[r->which], &r->h, (const u_char *)(r + 1));
		c->pkts[r->which]++;
		off += record_bytes(r->h.caplen);
	}
}

/* The disk's side: whatever it costs (writeback may hold a write for tens of ms), the packet
 * path only notices when every chunk is waiting. */
static void *writer(void *arg)
{
	struct capture *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->n_full && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (!c->n_full)
			break;
		int k = c->full[c->full_head];

		c->full_head = (c->full_head + 1) % CAPTURE_CHUNKS;
		c->n_full--;
		pthread_mutex_unlock(&c->lock);
		write_chunk(c, &c->chunk[k]);
		c->chunk[k].used = 0;
		pthread_mutex_lock(&c->lock);
		c->free_list[c->n_free++] = k;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static int open_file(struct capture *c, const char *dir, enum capture_which which)
{
	const char *name = which == CAPTURE_ALL ? CAPTURE_FILE : CAPTURE_DROPS_FILE;
	char path[PATH_MAX];
	FILE *fp;
	int fd, r;

	r = path_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (r < 0)
		return r;
	c->stdio_buf[which] = malloc(STDIO_BUF_BYTES);
	if (!c->stdio_buf[which])
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	fp = fdopen(fd, "wb");
	if (!fp) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Set before the dumper writes the file header: stdio takes a buffer before any output. */
	setvbuf(fp, c->stdio_buf[which], _IOFBF, STDIO_BUF_BYTES);
	c->dumper[which] = pcap_dump_fopen(c->pcap, fp);
	if (!c->dumper[which]) {
		fclose(fp);
		return -EIO;
	}
	return 0;
}

int capture_open(struct capture *c, const char *dir, uint32_t snaplen_bytes)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->ok = true;
	c->filling = -1;
	c->snaplen_bytes =
	    snaplen_bytes && snaplen_bytes < MAX_SNAPLEN ? snaplen_bytes : MAX_SNAPLEN;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	/* Raw IP: the emulator sees IP packets with no link-layer header in front. */
	c->pcap = pcap_open_dead_with_tstamp_precision(DLT_RAW, (int)c->snaplen_bytes,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!c->pcap)
		r = -ENOMEM;
	/* malloc'd, not touched: a headers-only capture at a low rate uses a chunk or two. */
	for (int k = 0; k < CAPTURE_CHUNKS && !r; k++) {
		c->chunk[k].data = malloc(CAPTURE_CHUNK_BYTES);
		if (!c->chunk[k].data)
			r = -ENOMEM;
		else
			c->free_list[c->n_free++] = k;
	}
	if (!r)
		r = open_file(c, dir, CAPTURE_ALL);
	if (!r)
		r = open_file(c, dir, CAPTURE_DROPS);
	if (!r) {
		r = -pthread_create(&c->thread, NULL, writer, c);
		c->thread_started = r == 0;
	}
	if (r < 0)
		capture_close(c);
	return r;
}

void capture_set_t0(struct capture *c, uint64_t t0_mono_ns, uint64_t t0_unix_ns)
{
	c->wall_minus_mono_ns = (int64_t)(t0_unix_ns - t0_mono_ns);
}

/* Hands the chunk being filled to the writer and takes a free one; -1 when none is. */
static void next_chunk(struct capture *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->filling >= 0 && c->chunk[c->filling].used) {
		c->full[(c->full_head + c->n_full) % CAPTURE_CHUNKS] = c->filling;
		c->n_full++;
		c->filling = -1;
		pthread_cond_signal(&c->wake);
	}
	if (c->filling < 0 && c->n_free)
		c->filling = c->free_list[--c->n_free];
	pthread_mutex_unlock(&c->lock);
}

void capture_packet(struct capture *c, enum capture_which which, const uint8_t *pkt, uint32_t len,
		    uint64_t mono_ns)
{
	uint32_t caplen = len < c->snaplen_bytes ? len : c->snaplen_bytes;
	uint32_t need = record_bytes(caplen);
	uint64_t wall_ns = mono_ns + (uint64_t)c->wall_minus_mono_ns;
	struct capture_chunk *k;
	struct record *r;

	if (c->filling < 0 || c->chunk[c->filling].used + need > CAPTURE_CHUNK_BYTES)
		next_chunk(c);
	if (c->filling < 0) {
		c->lost[which]++;
		return;
	}
	k = &c->chunk[c->filling];
	r = (struct record *)(k->data + k->used);
	/* A nanosecond-precision file keeps nanoseconds in the microseconds' field. */
	r->h.ts.tv_sec = (time_t)(wall_ns / 1000000000ull);
	r->h.ts.tv_usec = (suseconds_t)(wall_ns % 1000000000ull);
	r->h.len = len;
	r->h.caplen = caplen;
	r->which = which;
	memcpy(r + 1, pkt, caplen);
	k->used += need;
}

int capture_close(struct capture *c)
{
	if (c->thread_started) {
		next_chunk(c);
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	for (int w = 0; w < 2; w++) {
		if (c->dumper[w]) {
			FILE *fp = pcap_dump_file(c->dumper[w]);

			if (pcap_dump_flush(c->dumper[w]) < 0 || ferror(fp))
				c->ok = false;
			pcap_dump_close(c->dumper[w]);
			c->dumper[w] = NULL;
		}
		free(c->stdio_buf[w]);
		c->stdio_buf[w] = NULL;
	}
	if (c->pcap)
		pcap_close(c->pcap);
	c->pcap = NULL;
	for (int k = 0; k < CAPTURE_CHUNKS; k++) {
		free(c->chunk[k].data);
		c->chunk[k].data = NULL;
	}
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	return c->ok ? 0 : -EIO;
}
