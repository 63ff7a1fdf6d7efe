/* The files of a results folder that are written once the flows are done: flows.csv,
 * timeline/throughput.csv and meta.json. */
#ifndef CCX_RESULTS_H
#define CCX_RESULTS_H

#include "kernel/collect.h"
#include "core/config.h"
#include "kernel/topology.h"
#include "run/flows.h"
#include "link/link.h"
#include "analysis/plot.h"
#include "core/json.h"

#include <stdbool.h>
#include <time.h>

#define CCX_FORMAT_VERSION 1

/* Space a run (or `ccexp plot`) keeps aside in its folder so that its last meta.json can be
 * written on a full disk; removed at the end (and by `ccexp cleanup` after a SIGKILL). */
#define RUN_META_SPARE		 ".meta.json.spare"
#define RESULTS_META_SPARE_BYTES (256 * 1024)

struct run_info {
	const char *config_path;
	const char *outdir;
	const char *run_id;
	const struct topology *topo;
	const struct link_runtime *link; /* NULL before the link was chosen */
	int hz;
	const char *hz_source;
	time_t start_wall, end_wall;
	const char *status; /* running, complete, interrupted, failed, killed (by cleanup) */
	const char *error;  /* what went wrong, when status is failed (or interrupted: where) */
	int signal;	    /* the signal that interrupted the run, 0 when none */
	const char *cc_impl[CFG_MAX_FLOWS]; /* "kernel" or "bpf"; NULL before it was chosen */
	char cc_name[CFG_MAX_FLOWS][16];    /* what the sockops program selects */
	bool have_counters;
	struct ccx_counter counters[CCX_EV_MAX];
};

int results_write_flows(const char *outdir, const struct experiment *exp, const struct collector *c,
			const struct traffic *tr);
/* Finishes timeline/throughput.csv, which the collector streams during the run. */
int results_write_throughput(const char *outdir, const struct experiment *exp, struct collector *c);
/* Whether every flow did its part: no program (cmd, server_cmd, or built-in process) failed
 * on its own, every connection of a cmd flow completed its handshake, every built-in sender
 * connected. Returns 0, or -errno with the first problem in why. */
int results_flow_problem(const struct experiment *exp, const struct collector *c,
			 const struct traffic *tr, char *why, size_t len);
/* Replaces meta.json atomically (temporary file + fsync + rename). c and tr may be NULL (a run that
 * failed before they existed). */
int results_write_meta(const struct run_info *info, const struct experiment *exp,
		       const struct collector *c, const struct traffic *tr);
/* `ccexp plot`: replaces the "charts" member of outdir/meta.json (or adds it after
 * "status") with rep, atomically. Returns 0 or -errno (-EINVAL: not a meta.json of ccexp). */
int results_update_charts(const char *outdir, const struct plot_report *rep);

/* A meta.json larger than this is not one ccexp wrote. */
#define RESULTS_META_MAX_BYTES (16u << 20)

/*
 * Changes the saved OUTDIR/meta.json: `edit` reads the document and writes the top-level
 * members to set into `j` (an open object); they replace members of the same key, or are
 * added after "status". The file is replaced whole (path_replace_file). `edit` returns 0, or
 * an error or a positive value to leave the file as it is, which is returned.
 */
int results_meta_edit(const char *outdir, int (*edit)(const char *meta, struct json *j, void *arg),
		      void *arg);

/* Keeps RESULTS_META_SPARE_BYTES aside in OUTDIR/RUN_META_SPARE; path gets its name, or ""
 * when it could not be kept. Returns 0 or -errno. */
int results_spare_keep(const char *outdir, char *path, size_t len);
/* Gives the space back; false when none was kept (path ""). */
bool results_spare_release(char *path);
/* results_update_charts, tried again with the spare space given back on a full disk. */
int results_update_charts_spare(const char *outdir, const struct plot_report *rep, char *spare);

#endif
