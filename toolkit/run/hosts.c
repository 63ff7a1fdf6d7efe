/* The `hosts` sysctls of a run: applied only inside its own namespaces, then recorded. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/hosts.h"
#include "kernel/sys.h"
#include "run/hosts.h"

/* The sender's and the receiver's namespace, as topology.h numbers them (0 and 2). */
static const struct {
	const char *name;
	unsigned int side;
	int ns;
} hosts[] = {
    {"sender", CCX_SIDES_SENDER, 0},
    {"receiver", CCX_SIDES_RECEIVER, 2},
};

static const char *ns_name(const struct topology *topo, int i)
{
	return i == 0 ? topo->ns_sender : topo->ns_receiver;
}

int hosts_apply(const struct experiment *exp, const struct topology *topo, char *why, size_t len)
{
	for (int id = 0; id < HS_MAX; id++) {
		const struct host_sysctl_info *k = &host_sysctl_table[id];

		if (!exp->hosts.sides[id])
			continue;
		for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
			int r;

			if (!(exp->hosts.sides[id] & hosts[h].side))
				continue;
			/* Never the host's own namespace: without the run's, nothing is set. */
			if (!topo->have_ns[hosts[h].ns]) {
				snprintf(why, len, "hosts.%s: the %s's namespace is missing",
					 k->name, hosts[h].name);
				return -ENOENT;
			}
			r = sys_write_sysctl(ns_name(topo, hosts[h].ns), k->path,
					     exp->hosts.value[id]);
			if (r < 0) {
				snprintf(why, len, "hosts.%s: the %s refused \"%s\": %s", k->name,
					 hosts[h].name, exp->hosts.value[id], strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

void hosts_write_meta(struct json *j, const struct experiment *exp, const struct topology *topo)
{
	json_key(j, "hosts");
	json_object_begin(j);
	for (int id = 0; id < HS_MAX; id++) {
		const struct host_sysctl_info *k = &host_sysctl_table[id];
		char key[128], val[512];

		if (!exp->hosts.sides[id])
			continue;
		snprintf(key, sizeof(key), "%s", k->path);
		for (char *p = key; *p; p++)
			if (*p == '/')
				*p = '.';
		json_key(j, key);
		json_object_begin(j);
		json_kv_str(j, "asked", exp->hosts.value[id]);
		json_kv_str(j, "side", host_sides_name(exp->hosts.sides[id]));
		for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
			/* The kernel's own text, tabs between a triple's numbers made blanks. */
			if (topo && topo->have_ns[hosts[h].ns] &&
			    sys_read_sysctl(ns_name(topo, hosts[h].ns), k->path, val,
					    sizeof(val)) == 0) {
				char *e = val + strlen(val);

				while (e > val && (e[-1] == '\n' || e[-1] == ' '))
					*--e = '\0';
				for (char *p = val; *p; p++)
					if (*p == '\t')
						*p = ' ';
				json_kv_str(j, hosts[h].name, val);
			} else {
				json_kv_null(j, hosts[h].name);
			}
		}
		json_object_end(j);
	}
	json_object_end(j);
}
