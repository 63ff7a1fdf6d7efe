/* What each link backend can do with a config's link section: the checks a command runs
 * after config_load() and before it touches the kernel, and the queue limit to apply. */
#ifndef CCX_LINK_SPEC_H
#define CCX_LINK_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/*
 * Checks exp's link section against its backend (a setting the backend cannot emulate is
 * refused, with the backend to use instead) and reads each trace's content. Touches no
 * kernel. Returns 0, or -EINVAL (-ENOMEM) with err set to
 * "file:line: link.setting: what is wrong".
 */
int link_spec_check(const struct experiment *exp, char *err, size_t errlen);

/* What of l netem + tbf cannot do, as "has no ..." (the reason link_spec_check() gives when
 * backend = "netem" asks for it); NULL when it can do all of it. */
const char *link_netem_lacks(const struct link_spec *l);

/*
 * The queue limit to apply: a packet limit in *pkts or a byte limit in *bytes, the other 0.
 * queue_bdp becomes link_bdp_bytes(). Returns 0, or -EINVAL for a link_spec config_load()
 * would refuse (queue_bdp without a rate, a limit out of range).
 */
int link_queue_limits(const struct link_spec *l, uint32_t *pkts, uint64_t *bytes);

#endif
