/* The `hosts` sysctls of a run: written in its sender's and receiver's namespaces, and read
 * back for meta.json. */
#ifndef CCX_RUN_HOSTS_H
#define CCX_RUN_HOSTS_H

#include <stddef.h>

#include "core/config.h"
#include "core/json.h"
#include "kernel/topology.h"

/* Writes each sysctl the config sets in the namespaces of its sides. Returns 0 or -errno,
 * `why` naming the setting, the host and the value the kernel refused. */
int hosts_apply(const struct experiment *exp, const struct topology *topo, char *why, size_t len);

/* "hosts": { "net.ipv4.tcp_rmem": { "asked", "side", "sender", "receiver" }, ... }: the
 * values as each namespace holds them now, null where it cannot be read. */
void hosts_write_meta(struct json *j, const struct experiment *exp, const struct topology *topo);

#endif
