/* Reading libconfig settings with "file:line: setting: what" messages: the accessors the
 * config loader is built from. Private to core/. */
#ifndef CCX_CFG_READ_H
#define CCX_CFG_READ_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/cfg_text.h"
#include "core/config.h"

#define PATH_TEXT_MAX  256
#define KNOWN_TEXT_MAX 1024 /* "known: ..." lists; the knob names alone are ~200 */

/* How get_range() reads its bounds: closed unless told. */
#define MIN_OPEN 1u
#define MAX_OPEN 2u

struct loader {
	const char *path;	     /* as the user gave it: every message starts with it */
	const struct cfg_text *text; /* what libconfig read, and where each line came from */
	const char *known_cc;	     /* NULL: any congestion control name is accepted */
	char *err;
	size_t errlen;
};

/* Ties each integer setting under root to its literal in ld->text. Returns 0 or -EINVAL. */
int cfg_bind_ints(struct loader *ld, config_setting_t *root);

/* The dotted path a user can search for: flows[1].sockops.syn_rto_ms. */
void setting_path(const config_setting_t *s, char *buf, size_t len);
/* Where a setting was written: its file (an @include'd one, or the config) and line there. */
struct cfg_pos setting_pos(const struct loader *ld, const config_setting_t *s);
const char *setting_file(const struct loader *ld, const config_setting_t *s);
int setting_line(const struct loader *ld, const config_setting_t *s);

/* Each sets ld->err to "file:line: setting: ..." and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int fail(struct loader *ld, const config_setting_t *s,
					       const char *fmt, ...);
int fail_missing_because(struct loader *ld, const config_setting_t *group, const char *name,
			 const char *why);
int fail_missing(struct loader *ld, const config_setting_t *group, const char *name);

/* Doubles in messages look like config floats (2.0, not 2), the way the user wrote them. */
const char *num_str(double v, char *buf, size_t len);

/* A typo must not fall back silently to a default, so every member has to be known. */
int check_members(struct loader *ld, const config_setting_t *group, const char *const *known);
/* Names end up in directory and file names: alphanumerics and the characters of `punct`. */
int check_name(struct loader *ld, const config_setting_t *s, const char *v, size_t max,
	       const char *punct);

/*
 * The getters: each returns 1 when the member is there (in *out, its value in *v), 0 when it
 * is absent and optional, and -EINVAL (with ld->err set) when it is absent and required or
 * not what it must be.
 */
int member(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	   config_setting_t **out);
int get_group(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	      config_setting_t **out);
int get_string(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	       const char **v, config_setting_t **out);
/* Integers are numbers too: rate_mbit = 50 means 50.0. */
int get_number(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	       double *v, config_setting_t **out);
int get_bool(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	     bool *v, config_setting_t **out);
/* Floats are refused where a count or a time in ms is meant: 1.5 packets is a mistake. */
int get_int(struct loader *ld, const config_setting_t *group, const char *name, bool required,
	    long long min, long long max, long long *v, config_setting_t **out);
/* An optional number within bounds, each closed unless `open` says (MIN_OPEN, MAX_OPEN). */
int get_range(struct loader *ld, const config_setting_t *group, const char *name, double min,
	      double max, unsigned int open, double *v, config_setting_t **out);
/* One of `n` names, optional, stored as its index: `must be "a", "b" or "c" (got "d")`. */
int get_enum(struct loader *ld, const config_setting_t *group, const char *name,
	     const char *const *names, int n, int *v, config_setting_t **out);

/* The link group (cfg_link.c), in docs/config.md's order: the first problem wins. */
int load_link(struct loader *ld, const config_setting_t *root, struct experiment *exp);

/* The hosts group (cfg_hosts.c): per-namespace sysctls, each checked against its range. */
int load_hosts(struct loader *ld, const config_setting_t *root, struct experiment *exp);

/* A flow's cmd and server_cmd (cfg_cmd.c): placeholders checked, server_cmd with cmd. */
int load_cmds(struct loader *ld, const config_setting_t *g, struct flow_spec *f);
/* A cmd without server_cmd is refused: nothing would listen for its program. */
int check_cmd_server(struct loader *ld, const config_setting_t *g, const struct flow_spec *f);

#endif
