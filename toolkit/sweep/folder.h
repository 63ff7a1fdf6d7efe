/* A sweep folder: each run's state read from its own folder, the claim and the hand-over of a
 * run, and the files derived from the run folders (points.csv, sweep.json). */
#ifndef CCX_SWEEP_FOLDER_H
#define CCX_SWEEP_FOLDER_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "core/sweep.h"

/* A run's state in the folder; the names are points.csv's `status` (docs/sweep.md). */
enum run_state {
	RS_MISSING,  /* never ran: no folder */
	RS_RUNNING,  /* a process holds its claim */
	RS_COMPLETE, /* meta.json status, as `ccexp run` or `ccexp cleanup` left it */
	RS_CHARTS_FAILED,
	RS_FAILED,
	RS_INTERRUPTED,
	RS_KILLED,
	RS_UNFINISHED, /* a folder without a final status, its process gone */
	RS_COUNT,
};

struct run_status {
	enum run_state state;
	int exit_code;		     /* of its `ccexp run`, -1 when none */
	char started[32], ended[32]; /* meta.json start / end, "" when absent */
	/* What the state was read from, so an unchanged folder is not read again. */
	struct timespec meta_mtime, exit_mtime;
	ino_t meta_ino, exit_ino;
	bool known;
};

const char *run_state_name(enum run_state s);
/* complete or charts_failed: a rerun skips it. */
bool run_state_done(enum run_state s);
/* Whether a rerun runs it again: missing, interrupted, killed, unfinished; failed only when
 * retry_failed. */
bool run_state_todo(enum run_state s, bool retry_failed);

/* Takes the folder's lock (DIR/.lock, flock), waiting for it: returns the fd to give to
 * folder_unlock, or -errno. */
int folder_lock(const char *dir);
void folder_unlock(int fd);

/* The state of `run` in folder `dir`. `st` may hold what an earlier call read (st->known):
 * files that did not change are not read again. Returns 0 or -errno. */
int folder_run_status(const char *dir, const struct sweep_run *run, struct run_status *st);

/* A run this process is running: its claim on the run (a flock on runs/.<run_id>.cfg, the
 * file its config is written to, which the child inherits), and its paths. */
struct run_claim {
	int lock_fd;
	char cfg[PATH_MAX];	/* runs/.<run_id>.cfg */
	char partial[PATH_MAX]; /* runs/.<run_id>.partial: the child's results folder */
	char log[PATH_MAX];	/* runs/.<run_id>.log: the child's stdout and stderr */
	char final[PATH_MAX];	/* runs/<run_id> */
};

/* Whether the folder's paths for any run fit under PATH_MAX with room for what a run
 * writes. Returns 0 or -ENAMETOOLONG. */
int folder_check_path(const char *dir);
/* Makes DIR and DIR/runs, and writes DIR/sweep.cfg (the config as given) when it is absent
 * or `replace`. Returns 0 or -errno (logged). */
int folder_prepare(const char *dir, const struct sweep *sw, bool replace);
/* Under the lock: claims `run` (-EBUSY when another process holds it), writes its config,
 * removes a .partial folder left by a dead process. Returns 0 or -errno (logged). */
int folder_claim(const char *dir, const struct sweep_run *run, struct run_claim *c);
/* Under the lock, once the child ended with `exit_code`: records it in .sweep-exit, moves
 * the log into the folder (run.log), removes an older folder of the run and renames the
 * partial one to runs/<run_id>, then lets the claim go. Returns 0 or -errno (logged). */
int folder_hand_over(struct run_claim *c, int exit_code);
/* Gives up a claim whose child never started (removes the config file). */
void folder_release(struct run_claim *c);

/* What sweep.json says of the process that writes it. */
struct sweep_info {
	const char *config_path; /* absolute */
	const char *order;	 /* "given" or "shuffled" */
	bool active;		 /* this process is running the sweep's runs */
	bool interrupted;	 /* it stopped on a signal */
};

/*
 * Under the lock: reads every run's state into st[] (sw->nruns of them, kept between calls)
 * and rewrites DIR/points.csv and DIR/sweep.json from them, each replaced atomically.
 * counts[] gets the number of runs in each state. Returns 0 or -errno (logged).
 */
int folder_write(const char *dir, const struct sweep *sw, const struct sweep_info *info,
		 struct run_status *st, int counts[RS_COUNT]);

/* Reads the states only (for --dry-run: nothing is written, no lock taken). */
void folder_count(const char *dir, const struct sweep *sw, struct run_status *st,
		  int counts[RS_COUNT]);

/* The "order" sweep.json records in DIR, into buf; false when there is none. */
bool folder_recorded_order(const char *dir, char *buf, size_t len);

#endif
