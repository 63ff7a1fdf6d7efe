/* Kernel facts that `ccexp check` probes and `ccexp run` uses: HZ and the cgroup2 mount. */
#ifndef CCX_KERNEL_H
#define CCX_KERNEL_H

#include <stddef.h>

/*
 * The kernel's CONFIG_HZ, read from /proc/config.gz, else /boot/config-$(uname -r), else
 * estimated from the jiffies and clock in /proc/timer_list sampled 50 ms apart and rounded to
 * the nearest usual value (100, 250, 300, 1000). *source names where the value came from
 * ("/proc/config.gz", "/boot/config-<release>" or "/proc/timer_list (estimate)"); it points to
 * static storage that the next call may overwrite. Returns 0 or -errno (-ENOENT when no source
 * gave a value).
 */
int kernel_hz(int *hz, const char **source);

/*
 * The mount point of the first cgroup v2 hierarchy in /proc/mounts (e.g. /sys/fs/cgroup on a
 * unified host, /sys/fs/cgroup/unified on a hybrid one), copied into buf. Returns 0, -ENOENT
 * when no cgroup2 is mounted, -ENAMETOOLONG when buf is too small, or another -errno.
 */
int cgroup2_mount(char *buf, size_t len);

#endif
