/* A set of runs from one config: `experiment.repeat` and the `sweep` list expanded into
 * points, each with its own resolved config. docs/sweep.md has the grammar and the rules. */
#ifndef CCX_SWEEP_H
#define CCX_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

#define SWEEP_PATH_MAX                                                                             \
	128 /* a swept setting's path, as written: "flows.b.sockops.init_cwnd_pkts" */
#define SWEEP_ID_LEN	 12		     /* hex digits of a point id */
#define SWEEP_RUN_ID_MAX (SWEEP_ID_LEN + 16) /* "<point id>-r<repeat>" */
#define SWEEP_RUNS_LIMIT 1000		     /* runs (points x repeats) allowed without `force` */
#define SWEEP_REPEAT_MAX 1000

/* One swept setting: a column of points.csv. */
struct sweep_param {
	char path[SWEEP_PATH_MAX]; /* as the sweep wrote it */
	int group;		   /* index of its entry in the `sweep` list */
	int line;		   /* where that entry is, in the file that holds it */
	int file;		   /* index into sweep.files */
};

/* One run of the set: a point (a combination of values) and a repeat of it. */
struct sweep_run {
	int index; /* 0-based, in the given order (see sweep_load) */
	char point_id[SWEEP_ID_LEN +
		      1]; /* hash of the point's resolved config, same for its repeats */
	char run_id[SWEEP_RUN_ID_MAX]; /* "<point_id>-r<repeat>": the run's folder name */
	int repeat;		       /* 0 .. repeat - 1 */
	unsigned long seed;	       /* experiment.seed of this run (sweep_seed) */
	char **values; /* nparams values as text, for points.csv: 0.5, cubic, true */
	char *config;  /* this run's own config, a complete ordinary config */
};

struct sweep {
	char name[64]; /* experiment.name */
	double duration_s;	 /* experiment.duration_s (of the base config) */
	unsigned long seed;	 /* experiment.seed of the config as given */
	int repeat;		 /* experiment.repeat, 1 when absent */
	int nparams;
	struct sweep_param *params;
	int npoints;			     /* distinct points */
	int nruns;			     /* npoints * repeat */
	struct sweep_run *runs;		     /* nruns, in the given order */
	char *text;			     /* the config as given, @includes resolved */
	char files[CFG_MAX_FILES][PATH_MAX]; /* the config and its @includes, for messages */
	int nfiles;
};

/*
 * Checks one run's config as a command would before it runs it (config_load, then what the
 * command adds, e.g. link_spec_check). `path` is a file holding the config. Returns 0, or
 * -EINVAL with "PATH:LINE: setting: what" in err.
 */
typedef int (*sweep_check_fn)(const char *path, char *err, size_t errlen, void *arg);

/*
 * Reads CONFIG and expands it: each entry of `sweep` is a setting with a list of values
 * (`{ set = "link.queue_bdp"; values = [0.5, 1.0]; }`) or a group of them that vary
 * together (`{ zip = ( {set=...; values=...;}, ... ); }`); entries combine as a cartesian
 * product, the first varying slowest, and each point runs `repeat` times (repeats
 * innermost). A config without `sweep` is one point. Every run's config is built (trace
 * paths made absolute, `sweep` and `experiment.repeat` left out, experiment.seed set) and
 * checked with `check` (config_load with known_cc when check is NULL) before this returns.
 * More than SWEEP_RUNS_LIMIT runs is refused unless `force`.
 * Returns 0, or -EINVAL (-ENOENT ...) with "file:line: setting: what" in err (a point's
 * problem also names the point's values); sw is then empty. sweep_free() either way.
 */
int sweep_load(const char *path, const char *known_cc, sweep_check_fn check, void *arg, bool force,
	       struct sweep *sw, char *err, size_t errlen);
void sweep_free(struct sweep *sw);

/* The seed of repeat r of a point whose config says `seed`: `seed` itself for r = 0, else
 * splitmix64(seed + r) cut to 63 bits (docs/sweep.md). */
unsigned long sweep_seed(unsigned long seed, int repeat);

/* order[0..n-1] = a permutation of 0..n-1: 0, 1, ... when !shuffled, else a Fisher-Yates
 * shuffle driven by splitmix64 from `seed`, the same on every machine. */
void sweep_order(int *order, int n, bool shuffled, unsigned long seed);

#endif
