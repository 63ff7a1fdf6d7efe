/* Paths built from the user's output folder, and files replaced whole or not at all. */
#include "core/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < size ? 0 : -ENAMETOOLONG;
}

int path_replace_file(const char *path, const void *data, size_t len)
{
	const char *p = data, *slash = strrchr(path, '/');
	char tmp[PATH_MAX];
	int fd, r = 0;

	/* A hidden name beside the file (".meta.json.XXXXXX"), unique to this writer; one left
	 * by a writer that was killed is removed by `ccexp cleanup` (path_is_stale_temp). */
	if (path_fmt(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) < 0)
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!r && fchmod(fd, 0644) < 0)
		r = -errno;
	/* Without fsync a crash after the rename could leave an empty file under the name. */
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

bool path_is_temp_of(const char *name, const char *file)
{
	size_t n = strlen(file);

	/* "." file "." and the six characters mkstemp filled in */
	return name[0] == '.' && !strncmp(name + 1, file, n) && name[n + 1] == '.' &&
	       strlen(name + n + 2) == 6;
}

ssize_t path_read_whole(const char *path, size_t max, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 65536;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (!buf || len + 1 >= cap) {
			char *p = realloc(buf, buf ? cap *= 2 : cap);

			if (!p) {
				n = -ENOMEM;
				goto fail;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
		if (len > max) {
			n = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return len;
fail:
	close(fd);
	free(buf);
	return n;
}
