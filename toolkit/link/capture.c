/* The bottleneck's packets as pcap files, through libpcap's dumper (capture.h). */
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

/* The packet path writes to the file only when this much is buffered: at 1 Gbit/s of full
 * packets that is ~120 writes a second, each a copy into the page cache. */
#define CAPTURE_BUF_BYTES (1u << 20)
/* The largest packet the emulator holds is a slot of the model; pcap wants a bound. */
#define CAPTURE_MAX_SNAPLEN 65535u

static void file_close(struct capture_file *f, bool *ok)
{
	if (f->dumper) {
		FILE *fp = pcap_dump_file(f->dumper);

		if (pcap_dump_flush(f->dumper) < 0 || ferror(fp))
			*ok = false;
		pcap_dump_close(f->dumper);
	}
	if (f->pcap)
		pcap_close(f->pcap);
	free(f->buf);
	f->dumper = NULL;
	f->pcap = NULL;
	f->buf = NULL;
}

static int file_open(struct capture_file *f, const char *dir, const char *name,
		     uint32_t snaplen_bytes)
{
	char path[PATH_MAX];
	FILE *fp;
	int fd, r;

	r = path_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (r < 0)
		return r;
	/* Raw IP: the emulator sees IP packets with no link-layer header in front. */
	f->pcap = pcap_open_dead_with_tstamp_precision(DLT_RAW, (int)snaplen_bytes,
						       PCAP_TSTAMP_PRECISION_NANO);
	f->buf = malloc(CAPTURE_BUF_BYTES);
	if (!f->pcap || !f->buf)
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
	/* Before the dumper writes its file header: the buffer is set before the first write. */
	setvbuf(fp, f->buf, _IOFBF, CAPTURE_BUF_BYTES);
	f->dumper = pcap_dump_fopen(f->pcap, fp);
	if (!f->dumper) {
		fclose(fp);
		return -EIO;
	}
	return 0;
}

int capture_open(struct capture *c, const char *dir, uint32_t snaplen_bytes)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->ok = true;
	c->snaplen_bytes = snaplen_bytes && snaplen_bytes < CAPTURE_MAX_SNAPLEN
			       ? snaplen_bytes
			       : CAPTURE_MAX_SNAPLEN;
	r = file_open(&c->all, dir, CAPTURE_FILE, c->snaplen_bytes);
	if (!r)
		r = file_open(&c->drops, dir, CAPTURE_DROPS_FILE, c->snaplen_bytes);
	if (r < 0)
		capture_close(c);
	return r;
}

void capture_set_t0(struct capture *c, uint64_t t0_mono_ns, uint64_t t0_unix_ns)
{
	c->wall_minus_mono_ns = (int64_t)(t0_unix_ns - t0_mono_ns);
}

void capture_packet(struct capture *c, bool dropped, const uint8_t *pkt, uint32_t len,
		    uint64_t mono_ns)
{
	struct capture_file *f = dropped ? &c->drops : &c->all;
	uint64_t wall_ns = mono_ns + (uint64_t)c->wall_minus_mono_ns;
	struct pcap_pkthdr h;

	if (!f->dumper)
		return;
	/* A nanosecond-precision file keeps nanoseconds in the microseconds' field. */
	h.ts.tv_sec = (time_t)(wall_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(wall_ns % 1000000000ull);
	h.len = len;
	h.caplen = len < c->snaplen_bytes ? len : c->snaplen_bytes;
	pcap_dump((u_char *)f->dumper, &h, pkt);
	f->pkts++;
}

int capture_close(struct capture *c)
{
	file_close(&c->all, &c->ok);
	file_close(&c->drops, &c->ok);
	return c->ok ? 0 : -EIO;
}
