/* Small system helpers: run a command, read/write small files, enter a netns or a scratch
 * one, clocks. */
#ifndef CCX_SYS_H
#define CCX_SYS_H

#include <stddef.h>
#include <stdint.h>

/* Runs argv[0] (PATH, then /usr/sbin and /sbin) with no shell, stdin from /dev/null, and
 * keeps the start of its stdout and stderr in out. Returns 0 when it exits 0, -ENOENT when
 * it is not installed, -EIO when it fails, or -errno when it cannot be started. */
int sys_run_capture(const char *const argv[], char *out, size_t outlen);
/* sys_run_capture, showing the output only with -v or when the command fails. */
int sys_run(const char *const argv[]);
int sys_read_file(const char *path, char *buf, size_t len); /* NUL-terminated, trims \n */
int sys_write_file(const char *path, const char *s);
int sys_mkdir_p(const char *path, unsigned int mode);
/* Moves the calling process into network namespace /run/netns/<name>. */
int sys_enter_netns(const char *name);
/* Runs fn(arg) inside network namespace `ns` (NULL: where the caller is) and comes back, so
 * what fn opens (a socket, a device, a /proc/net file) belongs to that namespace. ccexp is
 * single-threaded, which setns needs. Returns fn's result, or -errno when ns cannot be
 * entered. */
int sys_in_netns(const char *ns, int (*fn)(void *arg), void *arg);
/* Reads a sysctl (e.g. "net/ipv4/tcp_ecn") as seen from inside netns `ns`
 * (NULL: the caller's own). */
int sys_read_sysctl(const char *ns, const char *name, char *buf, size_t len);
int sys_write_sysctl(const char *ns, const char *name, const char *value);
/* Reads a /proc file (e.g. /proc/net/netstat) as seen from inside netns `ns`. */
int sys_read_in_netns(const char *ns, const char *path, char *buf, size_t len);
typedef int (*sys_scratch_fn)(const void *arg, char *msg, size_t len);
/* Runs fn in a forked child that first unshares the namespaces in ns_flags (CLONE_NEWNET or
 * CLONE_NEWNS): whatever fn makes there (links, qdiscs, mounts) dies with the child, even if
 * this process is killed, and the host's namespaces are never touched. fn's message comes
 * back through a pipe into msg. Returns fn's result (0 or -errno). */
int sys_in_scratch_ns(int ns_flags, sys_scratch_fn fn, const void *arg, char *msg, size_t len);
uint64_t sys_mono_ns(void);

#endif
