/* `ccexp cleanup`: removes what runs killed with SIGKILL left behind, sparing live runs. */
#include "commands.h"
#include "run/results.h"
#include "analysis/report.h"
#include "kernel/kernel.h"
#include "kernel/netns.h"
#include "kernel/sys.h"
#include "kernel/topology.h"
#include "core/json.h"
#include "core/log.h"
#include "core/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* A run is live while the pid in its state file is a running ccexp. A zombie is not: a
 * killed ccexp whose parent has not reaped it yet left its objects for good. */
static bool run_is_live(const char *prefix)
{
	char path[PATH_MAX], buf[PATH_MAX + 64], stat[512];
	const char *state;
	int pid;

	snprintf(path, sizeof(path), CCX_STATE_DIR "/%s", prefix);
	if (sys_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	pid = atoi(buf);
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	/* "pid (comm) S ...": the name may hold blanks and parentheses, the state follows the
	 * last ')'. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (sys_read_file(path, stat, sizeof(stat)) < 0)
		return false;
	state = strrchr(stat, ')');
	if (!state || state[1] != ' ' || state[2] == 'Z' || state[2] == 'X')
		return false;
	return strstr(stat, " (ccexp) ") == stat + strcspn(stat, " ");
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
		if (!cx->dry_run)
			r = netns_del(de->d_name);
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

/* Removes what the killed run's own writes left in its folder: the space it kept aside for
 * its last meta.json, and a temporary file of a replacement (meta.json, report.html) cut short. */
static void remove_stale_temps(const char *outdir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(outdir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, RUN_META_SPARE) &&
		    !path_is_temp_of(de->d_name, "meta.json") &&
		    !path_is_temp_of(de->d_name, "report.html"))
			continue;
		if (path_fmt(path, sizeof(path), "%s/%s", outdir, de->d_name) == 0 &&
		    unlink(path) == 0)
			log_info("removed %s", path);
	}
	closedir(d);
}

/*
 * A row is whole when its line ends with \n, so a file whose last byte is not one ends in a
 * cut row (or is empty: not even its header was written). Appends such files of `dir`, as
 * "sub/name.csv", to the JSON array `j`.
 */
static void list_cut_csv(const char *outdir, const char *sub, struct json *j)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s%s%s", outdir, *sub ? "/" : "", sub) >=
	    (int)sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char file[PATH_MAX + NAME_MAX + 2], last = '\n';
		struct stat st;
		int fd;

		if (n < 5 || strcmp(de->d_name + n - 4, ".csv"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n'))
			json_strf(j, "%s%s%s", sub, *sub ? "/" : "", de->d_name);
		close(fd);
	}
	closedir(d);
}

struct killed {
	const char *outdir;
	const char *run_id;
	bool dry_run;
};

/* The members that say a run was killed, when meta.json is this run's and says "running". */
static int edit_killed(const char *meta, struct json *j, void *arg)
{
	const struct killed *k = arg;
	char id[64], status[32], when[64];
	time_t now = time(NULL);
	struct tm tm;

	if (json_doc_get_str(meta, "run_id", id, sizeof(id)) < 0 || strcmp(id, k->run_id) ||
	    json_doc_get_str(meta, "status", status, sizeof(status)) < 0 ||
	    strcmp(status, "running"))
		return 1; /* nothing to mark */
	if (k->dry_run)
		return 2;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_kv_str(j, "status", "killed");
	json_kv_str(j, "error",
		    "ccexp was killed before the run ended (SIGKILL, a crash or a "
		    "power loss); `ccexp cleanup` removed what it left behind");
	json_kv_str(j, "killed_found", when);
	json_key(j, "cut_files");
	json_array_begin(j);
	list_cut_csv(k->outdir, "", j);
	list_cut_csv(k->outdir, "timeline", j);
	list_cut_csv(k->outdir, "events", j);
	json_array_end(j);
	return 0;
}

/*
 * A run killed with SIGKILL left its meta.json saying "running": says "killed" instead, with
 * when cleanup found it and which CSV files end in a cut row, and only when meta.json is the
 * run's (its run_id). Returns 1 when marked (or would be, with dry_run), 0 when there was
 * nothing to mark, or -errno.
 */
static int mark_killed(const char *outdir, const char *prefix, bool dry_run)
{
	struct killed k = {outdir, prefix + strlen(CCX_PREFIX), dry_run};
	int r = results_meta_edit(outdir, edit_killed, &k);

	if (r == -ENOENT && !dry_run)
		remove_stale_temps(outdir); /* killed before its first meta.json */
	if (r == -ENOENT || r == 1)
		return 0; /* no meta.json (yet, or any more), or not this run's */
	if (r == 2)
		return 1;
	if (r < 0)
		return r;
	remove_stale_temps(outdir);
	/* The run never wrote its page: one that says it was killed, with its cut files. */
	if (report_write(outdir) < 0)
		log_err("%s/report.html was not written", outdir);
	return 1;
}

/* The results folder in a run's state file (its second line), or false for a state file of
 * a ccexp that did not write one. */
static bool state_outdir(const char *state_path, char *dir, size_t len)
{
	char buf[PATH_MAX + 64], *nl;

	if (sys_read_file(state_path, buf, sizeof(buf)) < 0)
		return false;
	nl = strchr(buf, '\n');
	if (!nl || nl[1] != '/')
		return false;
	nl++;
	nl[strcspn(nl, "\n")] = '\0';
	return snprintf(dir, len, "%s", nl) < (int)len;
}

static void clean_state_files(struct cleanup_ctx *cx)
{
	char prefix[32], path[PATH_MAX], outdir[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(CCX_STATE_DIR);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int r = 0;

		if (!run_prefix(de->d_name, prefix, sizeof(prefix)) || run_is_live(prefix))
			continue;
		snprintf(path, sizeof(path), CCX_STATE_DIR "/%.200s", de->d_name);
		/* Its processes are gone by now (cgroups first): nobody writes the folder. */
		if (state_outdir(path, outdir, sizeof(outdir))) {
			r = mark_killed(outdir, prefix, cx->dry_run);
			if (r < 0) {
				log_err_errno(r, "mark %s/meta.json killed", outdir);
				cx->failed++;
				/* Kept, so that a later cleanup can mark the run. */
				continue;
			}
			if (r > 0)
				printf("%s %s/meta.json: status killed\n",
				       cx->dry_run ? "would mark" : "marked", outdir);
			r = 0;
		}
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
		"A killed run's meta.json, which still says \"running\", is marked \"killed\"\n"
		"(replaced whole: a full disk leaves it as it was), with the CSV files that end\n"
		"in a cut row listed in \"cut_files\".\n"
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
