/* The command lines of a flow run by a program (cmd, server_cmd): their placeholders,
 * checked when the config is read and filled when the flow starts. */
#include "core/cfg_read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What {name} in a flow's cmd or server_cmd stands for; config_expand_cmd() fills them. */
enum placeholder { PH_DST, PH_SRC, PH_PORT, PH_CC, PH_FLOW, PH_DURATION, PH_MAX };
static const char *const placeholder_names[PH_MAX] = {
    [PH_DST] = "dst", [PH_SRC] = "src",	  [PH_PORT] = "port",
    [PH_CC] = "cc",   [PH_FLOW] = "flow", [PH_DURATION] = "duration_s",
};

/*
 * The placeholder at `p` (a '{'): its index, PH_MAX for "{{" (a literal '{'), -ENOENT when
 * unknown, -EINVAL when unclosed. *adv is how many characters it spans.
 */
static int placeholder_at(const char *p, size_t *adv)
{
	const char *close;
	int i;

	if (p[1] == '{') {
		*adv = 2;
		return PH_MAX;
	}
	close = strchr(p + 1, '}');
	if (!close) {
		*adv = strlen(p);
		return -EINVAL;
	}
	*adv = close - p + 1;
	for (i = 0; i < PH_MAX; i++)
		if (strlen(placeholder_names[i]) == *adv - 2 &&
		    strncmp(p + 1, placeholder_names[i], *adv - 2) == 0)
			return i;
	return -ENOENT;
}

static void placeholders_text(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < PH_MAX && n < len; i++)
		n += snprintf(buf + n, len - n, "%s{%s}", i ? " " : "", placeholder_names[i]);
}

/* A cmd is checked whole here, so that expanding it at run time cannot fail on a typo. */
static int check_cmd(struct loader *ld, const config_setting_t *s, const char *v, size_t max)
{
	char known[128];
	size_t len = strlen(v), adv;
	const char *p;
	int ph;

	if (!len)
		return fail(ld, s, "must not be empty");
	if (len > max)
		return fail(ld, s, "must be at most %zu characters (got %zu)", max, len);
	for (p = strchr(v, '{'); p; p = strchr(p + adv, '{')) {
		ph = placeholder_at(p, &adv);
		if (ph == -EINVAL)
			return fail(ld, s, "unclosed { at offset %zu (write {{ for a literal {)",
				    (size_t)(p - v));
		if (ph == -ENOENT) {
			placeholders_text(known, sizeof(known));
			return fail(ld, s, "unknown placeholder %.*s (known: %s)", (int)adv, p,
				    known);
		}
	}
	return 0;
}

int load_cmds(struct loader *ld, const config_setting_t *g, struct flow_spec *f)
{
	config_setting_t *s;
	const char *str;
	int r;

	r = get_string(ld, g, "cmd", false, &str, &s);
	if (r > 0)
		r = check_cmd(ld, s, str, sizeof(f->cmd) - 1);
	if (r < 0)
		return r;
	if (str)
		snprintf(f->cmd, sizeof(f->cmd), "%s", str);

	r = get_string(ld, g, "server_cmd", false, &str, &s);
	if (r > 0 && !f->cmd[0])
		return fail(ld, s, "server_cmd needs cmd");
	if (r > 0)
		r = check_cmd(ld, s, str, sizeof(f->server_cmd) - 1);
	if (r < 0)
		return r;
	if (str)
		snprintf(f->server_cmd, sizeof(f->server_cmd), "%s", str);
	return 0;
}

int config_expand_cmd(const char *tmpl, const struct flow_spec *f, const char *src, const char *dst,
		      int port, char *out, size_t len)
{
	size_t used = 0, n, adv;
	const char *p = tmpl;
	char num[32];

	if (!len)
		return -ENAMETOOLONG;
	out[0] = '\0';
	while (*p) {
		const char *v = p;

		if (*p != '{') {
			n = adv = strcspn(p, "{");
		} else {
			switch (placeholder_at(p, &adv)) {
			case PH_DST:
				v = dst ? dst : "";
				break;
			case PH_SRC:
				v = src ? src : "";
				break;
			case PH_PORT:
				snprintf(num, sizeof(num), "%d", port);
				v = num;
				break;
			case PH_CC:
				v = f->cc;
				break;
			case PH_FLOW:
				v = f->name;
				break;
			case PH_DURATION:
				snprintf(num, sizeof(num), "%g", f->stop_s - f->start_s);
				v = num;
				break;
			case PH_MAX:
				v = "{";
				break;
			default:
				out[0] = '\0';
				return -EINVAL;
			}
			n = strlen(v);
		}
		/* A truncated command line would run something else: all or nothing. */
		if (n >= len - used) {
			out[0] = '\0';
			return -ENAMETOOLONG;
		}
		memcpy(out + used, v, n);
		used += n;
		out[used] = '\0';
		p += adv;
	}
	return 0;
}

/* ccexp's own receiver serves only its own senders (it accepts `count` connections and
 * stops listening): a program's connections need the program's server, or nothing listens. */
int check_cmd_server(struct loader *ld, const config_setting_t *g, const struct flow_spec *f)
{
	if (!f->cmd[0] || f->server_cmd[0])
		return 0;
	return fail(ld, config_setting_get_member(g, "cmd"),
		    "cmd needs server_cmd: nothing else listens on {port} of the receiver host");
}
