/* The `hosts` config group: which per-namespace TCP sysctls a run sets, checked before any use. */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg_read.h"
#include "core/config.h"
#include "core/hosts.h"

/*
 * The bounds are the kernel's own (Linux 6.18, checked by writing in a scratch namespace) or,
 * for on/off settings the kernel takes any integer for, 0 and 1. Every one of these lives in
 * each network namespace: writing it in the run's namespaces leaves the host's untouched.
 */
const struct host_sysctl_info host_sysctl_table[HS_MAX] = {
    [HS_TCP_RMEM] = {"tcp_rmem", "net/ipv4/tcp_rmem", true, 1, INT_MAX},
    [HS_TCP_WMEM] = {"tcp_wmem", "net/ipv4/tcp_wmem", true, 1, INT_MAX},
    [HS_TCP_ADV_WIN_SCALE] = {"tcp_adv_win_scale", "net/ipv4/tcp_adv_win_scale", false, -31, 31},
    [HS_TCP_MODERATE_RCVBUF] = {"tcp_moderate_rcvbuf", "net/ipv4/tcp_moderate_rcvbuf", false, 0, 1},
    [HS_TCP_NO_METRICS_SAVE] = {"tcp_no_metrics_save", "net/ipv4/tcp_no_metrics_save", false, 0, 1},
    [HS_TCP_SLOW_START_AFTER_IDLE] = {"tcp_slow_start_after_idle",
				      "net/ipv4/tcp_slow_start_after_idle", false, 0, 1},
    [HS_TCP_NOTSENT_LOWAT] = {"tcp_notsent_lowat", "net/ipv4/tcp_notsent_lowat", false, 0,
			      UINT_MAX},
    [HS_TCP_LIMIT_OUTPUT_BYTES] = {"tcp_limit_output_bytes", "net/ipv4/tcp_limit_output_bytes",
				   false, 0, INT_MAX},
    [HS_TCP_AUTOCORKING] = {"tcp_autocorking", "net/ipv4/tcp_autocorking", false, 0, 1},
    [HS_TCP_PACING_SS_RATIO] = {"tcp_pacing_ss_ratio", "net/ipv4/tcp_pacing_ss_ratio", false, 0,
				1000},
    [HS_TCP_PACING_CA_RATIO] = {"tcp_pacing_ca_ratio", "net/ipv4/tcp_pacing_ca_ratio", false, 0,
				1000},
    [HS_TCP_MIN_TSO_SEGS] = {"tcp_min_tso_segs", "net/ipv4/tcp_min_tso_segs", false, 1, 255},
    [HS_TCP_TSO_WIN_DIVISOR] = {"tcp_tso_win_divisor", "net/ipv4/tcp_tso_win_divisor", false, 0,
				255},
    [HS_TCP_ECN] = {"tcp_ecn", "net/ipv4/tcp_ecn", false, 0, 2},
    [HS_TCP_SACK] = {"tcp_sack", "net/ipv4/tcp_sack", false, 0, 1},
    [HS_TCP_TIMESTAMPS] = {"tcp_timestamps", "net/ipv4/tcp_timestamps", false, 0, 2},
    [HS_TCP_WINDOW_SCALING] = {"tcp_window_scaling", "net/ipv4/tcp_window_scaling", false, 0, 1},
    [HS_TCP_MTU_PROBING] = {"tcp_mtu_probing", "net/ipv4/tcp_mtu_probing", false, 0, 2},
    [HS_TCP_MIN_RTT_WLEN] = {"tcp_min_rtt_wlen", "net/ipv4/tcp_min_rtt_wlen", false, 0, 86400},
};

/* What a researcher reaches for next, and why a run cannot set it for itself alone. */
static const struct {
	const char *name;
	const char *why;
} global_sysctls[] = {
    {"tcp_mem", "net.ipv4.tcp_mem is one limit for the whole machine, not per network namespace"},
    {"rmem_max", "net.core.rmem_max is one limit for the whole machine (read-only inside a "
		 "network namespace); tcp_rmem's third number is what autotuning grows to"},
    {"wmem_max", "net.core.wmem_max is one limit for the whole machine (read-only inside a "
		 "network namespace); tcp_wmem's third number is what autotuning grows to"},
    {"rmem_default", "net.core.rmem_default is one value for the whole machine (read-only inside "
		     "a network namespace); tcp_rmem's second number is TCP's"},
    {"wmem_default", "net.core.wmem_default is one value for the whole machine (read-only inside "
		     "a network namespace); tcp_wmem's second number is TCP's"},
    {"default_qdisc", "net.core.default_qdisc is one value for the whole machine; the link group "
		      "chooses the bottleneck's queue"},
};

static const char *const group_keys[] = {"value", "side", NULL};
static const char *const side_words[] = {"sender", "receiver", "both"};
static const unsigned int side_sets[] = {CCX_SIDES_SENDER, CCX_SIDES_RECEIVER, CCX_SIDES_BOTH};

const char *host_sides_name(unsigned int sides)
{
	for (size_t i = 0; i < sizeof(side_sets) / sizeof(side_sets[0]); i++)
		if (side_sets[i] == sides)
			return side_words[i];
	return "";
}

/* "min default max": three byte counts, in the order the kernel reads them. */
static int load_triple(struct loader *ld, const config_setting_t *g, const char *name,
		       const struct host_sysctl_info *k, char *out)
{
	long long v[3];
	config_setting_t *s;
	const char *str, *p;
	char *end;
	int r, i;

	r = get_string(ld, g, name, true, &str, &s);
	if (r < 0)
		return r;
	p = str;
	for (i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoll(p, &end, 10);
		if (end == p || errno || v[i] < k->min || v[i] > k->max)
			break;
		p = end;
	}
	while (i == 3 && (*p == ' ' || *p == '\t'))
		p++;
	if (i < 3 || *p)
		return fail(ld, s,
			    "must be \"min default max\": three byte counts from %lld to %lld "
			    "(got \"%s\")",
			    k->min, k->max, str);
	if (v[0] > v[1] || v[1] > v[2])
		return fail(ld, s, "must hold min <= default <= max (got \"%s\")", str);
	snprintf(out, HOST_VALUE_MAX, "%lld %lld %lld", v[0], v[1], v[2]);
	return 0;
}

static int load_value(struct loader *ld, const config_setting_t *g, const char *name,
		      const struct host_sysctl_info *k, char *out)
{
	config_setting_t *s;
	long long v;
	int r;

	if (k->triple)
		return load_triple(ld, g, name, k, out);
	r = get_int(ld, g, name, true, k->min, k->max, &v, &s);
	if (r < 0)
		return r;
	snprintf(out, HOST_VALUE_MAX, "%lld", v);
	return 0;
}

/* `name = X` sets both hosts; `name = { value = X; side = "..."; }` chooses. */
static int load_one(struct loader *ld, const config_setting_t *hosts, int id,
		    struct hosts_spec *spec)
{
	const struct host_sysctl_info *k = &host_sysctl_table[id];
	const config_setting_t *s = config_setting_get_member(hosts, k->name);
	char value[HOST_VALUE_MAX];
	unsigned int sides = CCX_SIDES_BOTH;
	config_setting_t *side;
	int r, w;

	if (!s)
		return 0;
	if (config_setting_is_group(s)) {
		r = check_members(ld, s, group_keys);
		if (r < 0)
			return r;
		r = load_value(ld, s, "value", k, value);
		if (r < 0)
			return r;
		r = get_enum(ld, s, "side", side_words, 3, &w, &side);
		if (r < 0)
			return r;
		if (r > 0)
			sides = side_sets[w];
	} else {
		r = load_value(ld, hosts, k->name, k, value);
		if (r < 0)
			return r;
	}
	memcpy(spec->value[id], value, sizeof(value));
	spec->sides[id] = (unsigned char)sides;
	return 0;
}

int load_hosts(struct loader *ld, const config_setting_t *root, struct experiment *exp)
{
	const char *names[HS_MAX + 1];
	config_setting_t *g;
	int i, r;

	r = get_group(ld, root, "hosts", false, &g);
	if (r <= 0)
		return r;
	for (i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned int)i);

		for (size_t j = 0; j < sizeof(global_sysctls) / sizeof(global_sysctls[0]); j++)
			if (strcmp(config_setting_name(s), global_sysctls[j].name) == 0)
				return fail(ld, s, "cannot be set per run: %s",
					    global_sysctls[j].why);
	}
	for (i = 0; i < HS_MAX; i++)
		names[i] = host_sysctl_table[i].name;
	names[HS_MAX] = NULL;
	r = check_members(ld, g, names);
	if (r < 0)
		return r;
	for (i = 0; i < HS_MAX; i++) {
		r = load_one(ld, g, i, &exp->hosts);
		if (r < 0)
			return r;
	}
	return 0;
}
