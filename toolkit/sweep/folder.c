/* A sweep folder: the state of each run from its own folder, claims and hand-overs, and
 * points.csv and sweep.json derived from the run folders under the folder's lock. */
#include "sweep/folder.h"

#include "ccx_version.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/sys.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_FORMAT_VERSION 1
#define META_MAX_BYTES	     (16 << 20)
#define EXIT_FILE	     ".sweep-exit"
#define RUN_LOG_FILE	     "run.log"
/* Under a run's folder, the longest name `ccexp run` writes, with a margin. */
#define RUN_FILES_ROOM 128

static const char *const state_names[RS_COUNT] = {
    [RS_MISSING] = "missing",	[RS_RUNNING] = "running",
    [RS_COMPLETE] = "complete", [RS_CHARTS_FAILED] = "charts_failed",
    [RS_FAILED] = "failed",	[RS_INTERRUPTED] = "interrupted",
    [RS_KILLED] = "killed",	[RS_UNFINISHED] = "unfinished",
};

const char *run_state_name(enum run_state s)
{
	return s < RS_COUNT ? state_names[s] : "?";
}

bool run_state_done(enum run_state s)
{
	return s == RS_COMPLETE || s == RS_CHARTS_FAILED;
}

bool run_state_todo(enum run_state s, bool retry_failed)
{
	return s == RS_MISSING || s == RS_INTERRUPTED || s == RS_KILLED || s == RS_UNFINISHED ||
	       (s == RS_FAILED && retry_failed);
}

int folder_lock(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if (path_fmt(path, sizeof(path), "%s/.lock", dir) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_err_errno(-errno, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return log_err_errno(r, "lock %s", path);
		}
	}
	return fd;
}

void folder_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* True when a process holds the claim on the run whose config file is `cfg`. */
static bool claimed(const char *cfg)
{
	int fd = open(cfg, O_RDONLY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static bool same_file(const struct stat *s, const struct timespec *mtime, ino_t ino)
{
	return s->st_ino == ino && s->st_mtim.tv_sec == mtime->tv_sec &&
	       s->st_mtim.tv_nsec == mtime->tv_nsec;
}

/* meta.json's status, start and end into st, "" when absent. */
static void read_meta(const char *path, char *status, size_t len, struct run_status *st)
{
	char *text = NULL;

	status[0] = st->started[0] = st->ended[0] = '\0';
	if (path_read_whole(path, META_MAX_BYTES, &text) < 0)
		return;
	if (json_doc_get_str(text, "status", status, len) < 0)
		status[0] = '\0';
	if (json_doc_get_str(text, "start", st->started, sizeof(st->started)) < 0)
		st->started[0] = '\0';
	/* null while the run had not ended */
	if (json_doc_get_str(text, "end", st->ended, sizeof(st->ended)) < 0)
		st->ended[0] = '\0';
	free(text);
}

static int read_exit(const char *path)
{
	char buf[32], *end;
	long v;

	if (sys_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	v = strtol(buf, &end, 10);
	return end == buf || *end || v < 0 || v > 255 ? -1 : (int)v;
}

int folder_run_status(const char *dir, const struct sweep_run *run, struct run_status *st)
{
	char meta[PATH_MAX], exitp[PATH_MAX], cfg[PATH_MAX], partial[PATH_MAX], status[32];
	struct stat ms, es;
	bool have_meta, have_exit;

	if (path_fmt(meta, sizeof(meta), "%s/runs/%s/meta.json", dir, run->run_id) < 0 ||
	    path_fmt(exitp, sizeof(exitp), "%s/runs/%s/" EXIT_FILE, dir, run->run_id) < 0 ||
	    path_fmt(cfg, sizeof(cfg), "%s/runs/.%s.cfg", dir, run->run_id) < 0 ||
	    path_fmt(partial, sizeof(partial), "%s/runs/.%s.partial", dir, run->run_id) < 0)
		return -ENAMETOOLONG;
	if (claimed(cfg)) {
		st->state = RS_RUNNING;
		st->exit_code = -1;
		st->started[0] = st->ended[0] = '\0';
		st->known = false;
		return 0;
	}
	have_meta = stat(meta, &ms) == 0;
	have_exit = stat(exitp, &es) == 0;
	if (!have_meta && !have_exit) {
		/* No final folder (or one that holds nothing of a run). */
		st->state = access(partial, F_OK) == 0 ? RS_UNFINISHED : RS_MISSING;
		st->exit_code = -1;
		st->started[0] = st->ended[0] = '\0';
		st->known = false;
		return 0;
	}
	/* A final folder's files change only when `ccexp plot` redraws, or a rerun replaces it. */
	if (st->known && have_meta && have_exit && same_file(&ms, &st->meta_mtime, st->meta_ino) &&
	    same_file(&es, &st->exit_mtime, st->exit_ino))
		return 0;
	read_meta(meta, status, sizeof(status), st);
	st->exit_code = have_exit ? read_exit(exitp) : -1;
	if (!strcmp(status, "complete"))
		st->state = RS_COMPLETE;
	else if (!strcmp(status, "charts_failed"))
		st->state = RS_CHARTS_FAILED;
	else if (!strcmp(status, "failed"))
		st->state = RS_FAILED;
	else if (!strcmp(status, "interrupted"))
		st->state = RS_INTERRUPTED;
	else if (!strcmp(status, "killed"))
		st->state = RS_KILLED;
	else if (!status[0] && st->exit_code > 128)
		/* Killed by a signal before it made its folder (or caught signals). */
		st->state = RS_INTERRUPTED;
	else if (!status[0] && st->exit_code > 0)
		/* `ccexp run` stopped before it made its folder (run.log says why). */
		st->state = RS_FAILED;
	else
		st->state = RS_UNFINISHED;
	st->known = have_meta && have_exit;
	if (st->known) {
		st->meta_mtime = ms.st_mtim;
		st->meta_ino = ms.st_ino;
		st->exit_mtime = es.st_mtim;
		st->exit_ino = es.st_ino;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	(void)s;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Removes a folder and what it holds (not following links, not crossing mounts). */
static int rm_tree(const char *path)
{
	int r = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);

	if (r < 0 && errno == ENOENT)
		return 0;
	return r > 0 ? -r : r < 0 ? -errno : 0;
}

int folder_check_path(const char *dir)
{
	char path[PATH_MAX];

	/* The longest: runs/.<run_id>.partial/<what a run writes> */
	if (path_fmt(path, sizeof(path), "%s/runs/.%*s.partial/%*s", dir, SWEEP_RUN_ID_MAX, "",
		     RUN_FILES_ROOM, "") < 0)
		return -ENAMETOOLONG;
	return 0;
}

int folder_prepare(const char *dir, const struct sweep *sw, bool replace)
{
	char path[PATH_MAX];
	int r;

	if (path_fmt(path, sizeof(path), "%s/runs", dir) < 0)
		return -ENAMETOOLONG;
	r = sys_mkdir_p(path, 0755);
	if (r < 0)
		return log_err_errno(r, "create %s", path);
	path_fmt(path, sizeof(path), "%s/sweep.cfg", dir);
	if (!replace && access(path, F_OK) == 0)
		return 0;
	r = path_replace_file(path, sw->text, strlen(sw->text));
	if (r < 0)
		return log_err_errno(r, "write %s", path);
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int folder_claim(const char *dir, const struct sweep_run *run, struct run_claim *c)
{
	int r;

	c->lock_fd = -1;
	if (path_fmt(c->cfg, sizeof(c->cfg), "%s/runs/.%s.cfg", dir, run->run_id) < 0 ||
	    path_fmt(c->partial, sizeof(c->partial), "%s/runs/.%s.partial", dir, run->run_id) < 0 ||
	    path_fmt(c->log, sizeof(c->log), "%s/runs/.%s.log", dir, run->run_id) < 0 ||
	    path_fmt(c->final, sizeof(c->final), "%s/runs/%s", dir, run->run_id) < 0)
		return -ENAMETOOLONG;
	/* Close-on-exec: only the run's own child gets this fd (sweep.c clears the flag there),
	 * so the claim lives exactly as long as this process or that child. */
	c->lock_fd = open(c->cfg, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->lock_fd < 0)
		return log_err_errno(-errno, "create %s", c->cfg);
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : log_err_errno(-errno, "lock %s", c->cfg);
		close(c->lock_fd);
		c->lock_fd = -1;
		return r;
	}
	r = ftruncate(c->lock_fd, 0) < 0 ? -errno : 0;
	if (!r)
		r = write_all(c->lock_fd, run->config, strlen(run->config));
	if (r < 0) {
		log_err_errno(r, "write %s", c->cfg);
		folder_release(c);
		return r;
	}
	/* What a dead process left: `ccexp run -o` wants a folder that is absent or empty. */
	r = rm_tree(c->partial);
	if (r < 0) {
		log_err_errno(r, "remove %s", c->partial);
		folder_release(c);
		return r;
	}
	unlink(c->log);
	return 0;
}

void folder_release(struct run_claim *c)
{
	if (c->lock_fd < 0)
		return;
	unlink(c->cfg);
	close(c->lock_fd);
	c->lock_fd = -1;
}

int folder_hand_over(struct run_claim *c, int exit_code)
{
	char path[PATH_MAX], old[PATH_MAX], code[16];
	int r;

	if (mkdir(c->partial, 0755) < 0 && errno != EEXIST) {
		r = log_err_errno(-errno, "create %s", c->partial);
		goto out;
	}
	if (path_fmt(path, sizeof(path), "%s/" EXIT_FILE, c->partial) < 0 ||
	    path_fmt(old, sizeof(old), "%s.old", c->partial) < 0) {
		r = -ENAMETOOLONG;
		goto out;
	}
	snprintf(code, sizeof(code), "%d\n", exit_code);
	r = path_replace_file(path, code, strlen(code));
	if (r < 0) {
		log_err_errno(r, "write %s", path);
		goto out;
	}
	path_fmt(path, sizeof(path), "%s/" RUN_LOG_FILE, c->partial);
	if (rename(c->log, path) < 0 && errno != ENOENT)
		log_err_errno(-errno, "move %s to %s", c->log, path);
	/* The older folder goes aside first, so that the run's folder is missing only between
	 * two renames. */
	r = rm_tree(old);
	if (r == 0 && rename(c->final, old) < 0 && errno != ENOENT)
		r = -errno;
	if (r < 0) {
		log_err_errno(r, "move the older %s aside", c->final);
		goto out;
	}
	if (rename(c->partial, c->final) < 0) {
		r = log_err_errno(-errno, "rename %s to %s", c->partial, c->final);
		goto out;
	}
	r = rm_tree(old);
	if (r < 0)
		log_err_errno(r, "remove %s", old);
out:
	folder_release(c);
	return r;
}

/* Every distinct value of parameter p, in the order the runs first take them. */
static void write_param_values(struct json *j, const struct sweep *sw, int p)
{
	json_array_begin(j);
	for (int i = 0; i < sw->nruns; i++) {
		bool seen = false;

		for (int k = 0; k < i && !seen; k++)
			seen = !strcmp(sw->runs[k].values[p], sw->runs[i].values[p]);
		if (!seen)
			json_str(j, sw->runs[i].values[p]);
	}
	json_array_end(j);
}

static const char *sweep_status(const struct sweep *sw, const struct sweep_info *info,
				const int counts[RS_COUNT])
{
	if (info->active || counts[RS_RUNNING])
		return "running";
	if (counts[RS_COMPLETE] + counts[RS_CHARTS_FAILED] == sw->nruns)
		return "complete";
	if (!info->interrupted &&
	    counts[RS_COMPLETE] + counts[RS_CHARTS_FAILED] + counts[RS_FAILED] == sw->nruns)
		return "failed";
	return "interrupted";
}

static int write_sweep_json(const char *dir, const struct sweep *sw, const struct sweep_info *info,
			    const struct run_status *st, const int counts[RS_COUNT])
{
	char path[PATH_MAX], host[256], *doc = NULL;
	const char *started = "", *ended = "";
	size_t len = 0;
	struct utsname uts;
	struct json j;
	FILE *mem;
	int r;

	for (int i = 0; i < sw->nruns; i++) {
		if (st[i].started[0] && (!started[0] || strcmp(st[i].started, started) < 0))
			started = st[i].started;
		if (st[i].ended[0] && strcmp(st[i].ended, ended) > 0)
			ended = st[i].ended;
	}
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	uname(&uts);
	mem = open_memstream(&doc, &len);
	if (!mem)
		return -ENOMEM;
	json_init(&j, mem);
	json_object_begin(&j);
	json_kv_int(&j, "format_version", SWEEP_FORMAT_VERSION);
	json_kv_str(&j, "name", sw->name);
	json_kv_str(&j, "status", sweep_status(sw, info, counts));
	json_kv_str(&j, "config", info->config_path);
	if (started[0])
		json_kv_str(&j, "started", started);
	else
		json_kv_null(&j, "started");
	if (ended[0] && strcmp(sweep_status(sw, info, counts), "running"))
		json_kv_str(&j, "ended", ended);
	else
		json_kv_null(&j, "ended");
	json_kv_int(&j, "runs", sw->nruns);
	json_kv_int(&j, "points", sw->npoints);
	json_kv_int(&j, "repeat", sw->repeat);
	json_kv_uint(&j, "seed", sw->seed);
	json_kv_str(&j, "order", info->order);
	json_kv_uint(&j, "order_seed", sw->seed);
	json_key(&j, "counts");
	json_object_begin(&j);
	for (int s = 0; s < RS_COUNT; s++)
		json_kv_int(&j, run_state_name(s), counts[s]);
	json_object_end(&j);
	json_key(&j, "parameters");
	json_array_begin(&j);
	for (int p = 0; p < sw->nparams; p++) {
		json_object_begin(&j);
		json_kv_str(&j, "path", sw->params[p].path);
		json_kv_int(&j, "entry", sw->params[p].group);
		json_key(&j, "values");
		write_param_values(&j, sw, p);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_str(&j, "host", host);
	json_key(&j, "kernel");
	json_object_begin(&j);
	json_kv_str(&j, "release", uts.release);
	json_kv_str(&j, "machine", uts.machine);
	json_object_end(&j);
	json_key(&j, "versions");
	json_object_begin(&j);
	json_kv_str(&j, "ccexp", CCX_VERSION);
	json_kv_str(&j, "libbpf", libbpf_version_string());
	json_object_end(&j);
	json_kv_str(&j, "config_text", sw->text);
	json_object_end(&j);
	r = json_finish(&j);
	if (fclose(mem) != 0 && !r)
		r = -ENOMEM;
	if (!r && path_fmt(path, sizeof(path), "%s/sweep.json", dir) < 0)
		r = -ENAMETOOLONG;
	if (!r)
		r = path_replace_file(path, doc, len);
	free(doc);
	return r < 0 ? log_err_errno(r, "write %s/sweep.json", dir) : 0;
}

static int write_points(const char *dir, const struct sweep *sw, const struct run_status *st)
{
	const char *head[] = {"index", "point_id", "repeat", "seed"};
	const char *tail[] = {"status", "exit_code", "started", "ended", "run_dir"};
	const char **cols = calloc(sw->nparams + 10, sizeof(*cols));
	char path[PATH_MAX], run_dir[SWEEP_RUN_ID_MAX + 8];
	struct csv c;
	int n = 0, r;

	if (!cols)
		return -ENOMEM;
	for (int i = 0; i < 4; i++)
		cols[n++] = head[i];
	for (int p = 0; p < sw->nparams; p++)
		cols[n++] = sw->params[p].path;
	for (int i = 0; i < 5; i++)
		cols[n++] = tail[i];
	cols[n] = NULL;
	r = csv_open_mem(&c, cols);
	free(cols);
	if (r < 0)
		return log_err_errno(r, "build points.csv");
	for (int i = 0; i < sw->nruns && !r; i++) {
		const struct sweep_run *run = &sw->runs[i];
		bool has_folder = st[i].state != RS_MISSING && st[i].state != RS_RUNNING &&
				  st[i].state != RS_UNFINISHED;

		csv_i64(&c, run->index);
		csv_str(&c, run->point_id);
		csv_i64(&c, run->repeat);
		csv_u64(&c, run->seed);
		for (int p = 0; p < sw->nparams; p++)
			csv_str(&c, run->values[p]);
		csv_str(&c, run_state_name(st[i].state));
		if (st[i].exit_code >= 0)
			csv_i64(&c, st[i].exit_code);
		else
			csv_str(&c, "");
		csv_str(&c, st[i].started);
		csv_str(&c, st[i].ended);
		snprintf(run_dir, sizeof(run_dir), "runs/%s", run->run_id);
		csv_str(&c, has_folder ? run_dir : "");
		r = csv_end_row(&c);
	}
	if (!r)
		r = c.err;
	if (!r && path_fmt(path, sizeof(path), "%s/points.csv", dir) < 0)
		r = -ENAMETOOLONG;
	if (!r)
		r = path_replace_file(path, c.buf, c.row_start);
	csv_close(&c);
	return r < 0 ? log_err_errno(r, "write %s/points.csv", dir) : 0;
}

void folder_count(const char *dir, const struct sweep *sw, struct run_status *st,
		  int counts[RS_COUNT])
{
	memset(counts, 0, sizeof(int) * RS_COUNT);
	for (int i = 0; i < sw->nruns; i++) {
		if (folder_run_status(dir, &sw->runs[i], &st[i]) < 0) {
			st[i].state = RS_MISSING;
			st[i].exit_code = -1;
			st[i].started[0] = st[i].ended[0] = '\0';
		}
		counts[st[i].state]++;
	}
}

int folder_write(const char *dir, const struct sweep *sw, const struct sweep_info *info,
		 struct run_status *st, int counts[RS_COUNT])
{
	folder_count(dir, sw, st, counts);
	return write_points(dir, sw, st) ?: write_sweep_json(dir, sw, info, st, counts);
}

bool folder_recorded_order(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX], *text = NULL;
	bool ok;

	if (path_fmt(path, sizeof(path), "%s/sweep.json", dir) < 0 ||
	    path_read_whole(path, META_MAX_BYTES, &text) < 0)
		return false;
	ok = json_doc_get_str(text, "order", buf, len) == 0;
	free(text);
	return ok;
}
