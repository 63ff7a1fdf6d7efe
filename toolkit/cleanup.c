/* `ccexp cleanup`: removes what runs killed with SIGKILL left behind, sparing live runs. */
#include "commands.h"
#include "kernel/kernel.h"
#include "core/log.h"
#include "kernel/sys.h"
#include "kernel/topology.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The run prefix ("ccx" + id) of an object name, or false when it is not one of ours. */
static bool run_prefix(const char *name, char *prefix, size_t len)
{
	size_t n = strlen(CCX_PREFIX);

	if (strncmp(name, CCX_PREFIX, n) != 0)
		return false;
	for (size_t i = 0; i < CCX_RUN_ID_LEN; i++) {
		char c = name[n + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	if (name[n + CCX_RUN_ID_LEN] != '\0' && name[n + CCX_RUN_ID_LEN] != '-')
		return false;
	snprintf(prefix, len, "%.*s", (int)(n + CCX_RUN_ID_LEN), name);
	return true;
}

/* A run is live while the pid in its state file is a running ccexp. */
static bool run_is_live(const char *prefix)
{
	char path[PATH_MAX], buf[64], comm[64];
	int pid;

	snprintf(path, sizeof(path), CCX_STATE_DIR "/%s", prefix);
	if (sys_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	pid = atoi(buf);
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (sys_read_file(path, comm, sizeof(comm)) < 0)
		return false;
	return strcmp(comm, "ccexp") == 0;
}

struct cleanup_ctx {
	bool dry_run;
	int removed, spared, failed;
};

static void report(struct cleanup_ctx *cx, const char *what, const char *name, int r)
{
	if (cx->dry_run) {
		printf("would remove %s %s\n", what, name);
		cx->removed++;
	} else if (r < 0) {
		log_err_errno(r, "remove %s %s", what, name);
		cx->failed++;
	} else {
		printf("removed %s %s\n", what, name);
		cx->removed++;
	}
}

static void clean_cgroups(struct cleanup_ctx *cx)
{
	char root[PATH_MAX], prefix[32], path[PATH_MAX + 300], kill_path[PATH_MAX + 320];
	struct dirent *de;
	DIR *d;

	if (cgroup2_mount(root, sizeof(root)) < 0)
		return;
	d = opendir(root);
	if (!d)
		return;
	while ((de = readdir(d))) {
		int r = 0;

		if (de->d_type != DT_DIR || !run_prefix(de->d_name, prefix, sizeof(prefix)))
			continue;
		if (run_is_live(prefix)) {
			cx->spared++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		if (!cx->dry_run) {
			/* Flow processes of a killed run may still hold the cgroup. */
			snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", path);
			sys_write_file(kill_path, "1");
			for (int i = 0; i < 100 && rmdir(path) < 0 && errno == EBUSY; i++)
				usleep(10000);
			if (access(path, F_OK) == 0)
				r = -EBUSY;
		}
		report(cx, "cgroup", path, r);
	}
	closedir(d);
}

static void clean_netns(struct cleanup_ctx *cx)
{
	struct dirent *de;
	char prefix[32];
	DIR *d = opendir("/run/netns");

	if (!d)
		return;
	while ((de = readdir(d))) {
		int r = 0;

		if (!run_prefix(de->d_name, prefix, sizeof(prefix)))
			continue;
		if (run_is_live(prefix)) {
			cx->spared++;
			continue;
		}
		if (!cx->dry_run) {
			const char *const argv[] = {"ip", "netns", "del", de->d_name, NULL};

			r = sys_run(argv);
		}
		report(cx, "netns", de->d_name, r);
	}
	closedir(d);
}

/* Run interfaces live inside the run's namespaces; one in the host namespace means a run
 * died half-way through building its topology. */
static void clean_links(struct cleanup_ctx *cx)
{
	struct if_nameindex *ifs = if_nameindex();
	char prefix[32];

	if (!ifs)
		return;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		int r = 0;

		if (!run_prefix(i->if_name, prefix, sizeof(prefix)))
			continue;
		if (run_is_live(prefix)) {
			cx->spared++;
			continue;
		}
		if (!cx->dry_run) {
			const char *const argv[] = {"ip", "link", "del", i->if_name, NULL};

			r = sys_run(argv);
		}
		report(cx, "link", i->if_name, r);
	}
	if_freenameindex(ifs);
}

static void clean_state_files(struct cleanup_ctx *cx)
{
	char prefix[32], path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(CCX_STATE_DIR);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int r = 0;

		if (!run_prefix(de->d_name, prefix, sizeof(prefix)) || run_is_live(prefix))
			continue;
		snprintf(path, sizeof(path), CCX_STATE_DIR "/%.200s", de->d_name);
		if (!cx->dry_run && unlink(path) < 0)
			r = -errno;
		report(cx, "state file", path, r);
	}
	closedir(d);
}

static void cleanup_usage(FILE *out)
{
	fprintf(out,
		"usage: ccexp cleanup [-n]\n"
		"\n"
		"Removes what runs that were killed (SIGKILL, power loss) left behind: their\n"
		"network namespaces (and so their veth pairs), cgroups (and so their BPF links),\n"
		"stray interfaces and state files, all named ccx<run-id>. Runs still alive are\n"
		"spared. The host's own interfaces and connections are never touched.\n"
		"\n"
		"  -n, --dry-run   only list what would be removed\n"
		"\n"
		"EXAMPLES\n"
		"  ccexp cleanup -n\n"
		"  ccexp cleanup\n");
}

int cmd_cleanup(int argc, char **argv)
{
	struct cleanup_ctx cx = {0};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--dry-run")) {
			cx.dry_run = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cleanup_usage(stdout);
			return CCX_EXIT_OK;
		} else {
			fprintf(stderr, "ccexp cleanup: unknown argument %s\n", argv[i]);
			cleanup_usage(stderr);
			return CCX_EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		log_err("ccexp cleanup needs root");
		return CCX_EXIT_FAILURE;
	}
	/* Cgroups first: killing the flow processes lets their namespaces go. */
	clean_cgroups(&cx);
	clean_netns(&cx);
	clean_links(&cx);
	clean_state_files(&cx);
	if (!cx.removed)
		printf("nothing to remove\n");
	if (cx.spared)
		printf("spared %d object(s) of runs still alive\n", cx.spared);
	return cx.failed ? CCX_EXIT_FAILURE : CCX_EXIT_OK;
}
