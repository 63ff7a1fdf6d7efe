/* An LD_PRELOAD object that appends every message a program sends on a netlink socket to
 * the file $CCX_NETLINK_RECORD, so a test can compare ccexp's requests with iproute2's.
 * Each record is a native-endian uint32_t length, then the bytes as sent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Exported for the dynamic linker only; these prototypes keep -Wmissing-prototypes quiet. */
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen);
ssize_t send(int fd, const void *buf, size_t len, int flags);

static bool is_netlink(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_NETLINK;
}

/* One record, written with a single write() so that records never interleave. */
static void record(const struct iovec *iov, size_t n)
{
	const char *path = getenv("CCX_NETLINK_RECORD");
	uint32_t total = 0;
	char *buf, *p;
	int fd;

	if (!path)
		return;
	for (size_t i = 0; i < n; i++)
		total += (uint32_t)iov[i].iov_len;
	buf = malloc(sizeof(total) + total);
	if (!buf)
		return;
	memcpy(buf, &total, sizeof(total));
	p = buf + sizeof(total);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, sizeof(total) + total) < 0)
			(void)0; /* a test notices the missing record */
		close(fd);
	}
	free(buf);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t (*real)(int, const struct msghdr *, int) = dlsym(RTLD_NEXT, "sendmsg");

	if (msg && is_netlink(fd))
		record(msg->msg_iov, msg->msg_iovlen);
	return real(fd, msg, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t) =
	    dlsym(RTLD_NEXT, "sendto");

	if (is_netlink(fd)) {
		struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

		record(&iov, 1);
	}
	return real(fd, buf, len, flags, to, tolen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}
