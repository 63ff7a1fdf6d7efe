/* Kernel facts that `ccexp check` probes and `ccexp run` uses: HZ and the cgroup2 mount. */
#include "kernel/kernel.h"

#include <errno.h>
#include <math.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <zlib.h>

/* CONFIG_HZ from a kernel config; gzread passes plain text through, so one reader serves both
 * /proc/config.gz and /boot/config-*. */
static int config_hz_from(const char *path, int *hz)
{
	char line[256];
	gzFile gz;
	int r = -ENOENT;

	gz = gzopen(path, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	while (gzgets(gz, line, sizeof(line))) {
		char *end;
		long v;

		if (strncmp(line, "CONFIG_HZ=", 10))
			continue;
		v = strtol(line + 10, &end, 10);
		if (end != line + 10 && v > 0 && v <= 100000) {
			*hz = (int)v;
			r = 0;
		} else {
			r = -EINVAL;
		}
		break;
	}
	gzclose(gz);
	return r;
}

static int timer_list_sample(long long *now_ns, long long *jiffies)
{
	bool have_now = false, have_jiffies = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/timer_list", "re");
	if (!f)
		return -errno;
	/* "now at" heads the file and the first "jiffies:" follows within the first CPU's
	 * section, so both are taken microseconds apart. */
	while (!(have_now && have_jiffies) && getline(&line, &cap, f) > 0) {
		const char *p = line + strspn(line, " \t");

		if (!have_now && sscanf(p, "now at %lld nsecs", now_ns) == 1)
			have_now = true;
		else if (!have_jiffies && sscanf(p, "jiffies: %lld", jiffies) == 1)
			have_jiffies = true;
	}
	free(line);
	fclose(f);
	return have_now && have_jiffies ? 0 : -ENOENT;
}

static int hz_from_timer_list(int *hz)
{
	static const int usual_hz[] = {100, 250, 300, 1000};
	const struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
	long long now0, now1, j0, j1;
	double estimate, best_err = INFINITY;
	int r;

	r = timer_list_sample(&now0, &j0);
	if (r)
		return r;
	nanosleep(&pause, NULL);
	r = timer_list_sample(&now1, &j1);
	if (r)
		return r;
	if (now1 <= now0 || j1 <= j0)
		return -ERANGE;
	estimate = (double)(j1 - j0) * 1e9 / (double)(now1 - now0);
	/* One jiffy of uncertainty in 50 ms is 8% at HZ=250: enough to tell the usual values
	 * apart, not to trust the raw number. */
	for (size_t i = 0; i < sizeof(usual_hz) / sizeof(usual_hz[0]); i++) {
		double err = fabs(estimate - usual_hz[i]) / usual_hz[i];

		if (err < best_err) {
			best_err = err;
			*hz = usual_hz[i];
		}
	}
	if (best_err > 0.25)
		*hz = (int)lround(estimate);
	return 0;
}

int kernel_hz(int *hz, const char **source)
{
	static char boot_config[sizeof("/boot/config-") + sizeof(((struct utsname *)0)->release)];
	struct utsname uts;

	if (config_hz_from("/proc/config.gz", hz) == 0) {
		*source = "/proc/config.gz";
		return 0;
	}
	if (uname(&uts) == 0) {
		snprintf(boot_config, sizeof(boot_config), "/boot/config-%s", uts.release);
		if (config_hz_from(boot_config, hz) == 0) {
			*source = boot_config;
			return 0;
		}
	}
	if (hz_from_timer_list(hz) == 0) {
		*source = "/proc/timer_list (estimate)";
		return 0;
	}
	return -ENOENT;
}

int cgroup2_mount(char *buf, size_t len)
{
	struct mntent ent, *m;
	char strings[4096];
	int r = -ENOENT;
	FILE *f;

	f = setmntent("/proc/mounts", "re");
	if (!f)
		return -errno;
	/* getmntent_r decodes the octal escapes /proc/mounts uses for spaces in paths. */
	while ((m = getmntent_r(f, &ent, strings, sizeof(strings)))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		if (strlen(m->mnt_dir) >= len) {
			r = -ENAMETOOLONG;
		} else {
			strcpy(buf, m->mnt_dir);
			r = 0;
		}
		break;
	}
	endmntent(f);
	return r;
}
