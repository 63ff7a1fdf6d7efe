/* A saved config read as a flat list of settings (path and value as text), to tell what
 * differs between runs. */
#ifndef CCX_CFG_FLAT_H
#define CCX_CFG_FLAT_H

#include <stddef.h>

/* One scalar (or array) setting: `path` as sweep paths are written ("link.queue_bdp",
 * "flows.b.cc", "flows.b.sockops.init_cwnd_pkts"), `value` as points.csv writes one
 * (0.5, cubic, true; an array as [1, 2]). */
struct cfg_flat_item {
	char *path;
	char *value;
};

struct cfg_flat {
	struct cfg_flat_item *items; /* in the order of the text */
	size_t n, cap;
	char **flows; /* the names of the `flows` list's elements, in order */
	size_t nflows;
};

/*
 * Reads config file `path` (@includes resolved, integers as written) into f. An element of a
 * list of groups is named by its `name` member when it has one (flows.b.cc), else by its
 * index (x[1].y). Returns 0, or -errno with "file[:line]: what" in err; cfg_flat_free()
 * either way.
 */
int cfg_flat_read(const char *path, struct cfg_flat *f, char *err, size_t errlen);
/* Adds a setting by hand (values known from elsewhere, e.g. points.csv). Returns 0 or
 * -ENOMEM. */
int cfg_flat_add(struct cfg_flat *f, const char *path, const char *value);
/* The value at `path` (a knob's `value` when path names a knob written with its side), NULL
 * when the config does not give it. */
const char *cfg_flat_get(const struct cfg_flat *f, const char *path);
void cfg_flat_free(struct cfg_flat *f);

#endif
