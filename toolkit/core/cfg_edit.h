/* Editing a parsed config: a value put at a setting's path, and the config written back as
 * text that ccexp reads to the same values. Private to core/. */
#ifndef CCX_CFG_EDIT_H
#define CCX_CFG_EDIT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/cfg_text.h"

#define CFG_EDIT_NAME_MAX 128 /* one name of a path */

/* Integers set by an edit: each setting's hook points at one (the writer and the config
 * reader take an integer from its hook). Sized by the caller, never moved. */
struct int_pool {
	struct cfg_int *v;
	size_t n, cap;
};

/* An integer as ccexp reads it: the literal as written (libconfig may have wrapped it). */
long long cfg_int_of(const config_setting_t *s);
/* The whole config as text, `head` first; malloc'ed, NULL without memory. Integers are
 * written as ccexp read them, floats as the shortest text that reads back the same. */
char *cfg_write_text(const config_t *cfg, const char *head);
/* A scalar as a table shows it: 0.5, cubic (no quotes), true. malloc'ed. */
char *cfg_value_text(const config_setting_t *v);
/*
 * Puts scalar `v` at `path` ("link.queue_bdp", "flows[1].cc", "flows.b.sockops.x"; a flow
 * by index or by name), making missing groups. The setting keeps its type where it exists
 * (an integer where a number is meant becomes a float; a knob written `{ value; side; }`
 * gets its value set), else it takes v's. Returns 0, or -EINVAL with why.
 */
int cfg_set_path(config_setting_t *root, const char *path, const config_setting_t *v,
		 struct int_pool *pool, char *why, size_t why_len);
/* link.trace_up / trace_down made absolute from `dir`, so the config works from anywhere. */
int cfg_absolute_traces(config_setting_t *root, const char *dir);
/* experiment.seed = seed. */
int cfg_set_seed(config_setting_t *root, unsigned long seed, struct int_pool *pool);

#endif
