/* The fuzz targets' input as a file: one memfd, rewritten for every input. */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_len)
{
	static int fd = -1;
	size_t off = 0;

	if (fd < 0) {
		fd = memfd_create("ccx-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	if (ftruncate(fd, 0) < 0)
		return -errno;
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return 0;
}
