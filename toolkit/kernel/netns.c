/* Named network namespaces as ip-netns(8) keeps them: a namespace bind-mounted on a file in
 * /run/netns. Made here directly: spawning ip twice per host cost more than the rest of the
 * topology. */
#include "kernel/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"

/* A shared mount point, so that a namespace mounted on it later shows in every mount
 * namespace that was copied from this one (ip does the same, and `ip netns` relies on it). */
static int netns_dir_shared(void)
{
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Not a mount point yet: make it one by mounting it on itself. */
	if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

struct netns_job {
	const char *path;
	int err;
};

/* A namespace is per thread: this one moves into a new one and pins it with the mount, so
 * the caller's threads never leave their own. */
static void *netns_thread(void *arg)
{
	struct netns_job *job = arg;

	if (unshare(CLONE_NEWNET) < 0)
		job->err = -errno;
	else if (mount("/proc/thread-self/ns/net", job->path, "none", MS_BIND, NULL) < 0)
		job->err = -errno;
	return NULL;
}

int netns_add(const char *name)
{
	char path[PATH_MAX];
	struct netns_job job = {.path = path};
	pthread_t th;
	int fd, r;

	r = netns_dir_shared();
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	r = -pthread_create(&th, NULL, netns_thread, &job);
	if (!r) {
		pthread_join(th, NULL);
		r = job.err;
	}
	if (r < 0)
		unlink(path);
	return r;
}

int netns_del(const char *name)
{
	char path[PATH_MAX];
	int r = 0;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	/* Detached: a process still inside keeps the namespace, not the mount. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		r = -errno;
	if (unlink(path) < 0)
		r = -errno;
	return r;
}
