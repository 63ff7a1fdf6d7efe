/* `ccexp list`: the congestion controls a flow can use, the link backends and the sockops knobs. */
#include "kernel/cc.h"
#include "commands.h"
#include "core/config.h"
#include "core/json.h"
#include "core/knobs.h"
#include "link/link.h"
#include "core/log.h"
#include "kernel/sys.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIST_MAX_KERNEL_CC  64
#define LIST_MAX_BUNDLED_CC 8

struct backend_row {
	enum link_backend backend;
	bool usable;
	char detail[256];
};

struct list_ctx {
	char available[1024];
	bool have_available;
	const char *kernel_cc[LIST_MAX_KERNEL_CC]; /* point into words */
	size_t n_kernel_cc;
	char words[1024];
	struct cc_choice bundled[LIST_MAX_BUNDLED_CC];
	struct backend_row backends[LINK_BACKEND_MAX];
};

/* Splits the kernel's list, leaving out what other ccexp runs registered for themselves. */
static void read_kernel_cc(struct list_ctx *ctx)
{
	char *p, *save = NULL;

	ctx->have_available =
	    sys_read_file(TCP_CC_AVAILABLE_PATH, ctx->available, sizeof(ctx->available)) == 0;
	if (!ctx->have_available)
		ctx->available[0] = '\0';
	snprintf(ctx->words, sizeof(ctx->words), "%s", ctx->available);
	for (p = strtok_r(ctx->words, " \t\n", &save); p && ctx->n_kernel_cc < LIST_MAX_KERNEL_CC;
	     p = strtok_r(NULL, " \t\n", &save))
		if (!cc_is_ccexp_name(p))
			ctx->kernel_cc[ctx->n_kernel_cc++] = p;
}

static void resolve_bundled(struct list_ctx *ctx)
{
	char err[256];

	for (int i = 0; i < cc_bundled_count() && i < LIST_MAX_BUNDLED_CC; i++)
		if (cc_resolve(cc_algo_name(cc_bundled_algo(i)), ctx->available, &ctx->bundled[i],
			       err, sizeof(err)))
			log_debug("%s", err);
}

/* link_choose() says what this ccexp can build; the device checks say whether it can here. */
static void probe_backends(struct list_ctx *ctx)
{
	struct link_spec auto_spec = {.backend = LINK_BACKEND_AUTO};
	struct link_runtime auto_lr;
	char err[64];

	for (int b = 0; b < LINK_BACKEND_MAX; b++) {
		struct backend_row *row = &ctx->backends[b];
		struct link_spec spec = {.backend = (enum link_backend)b};
		struct link_runtime lr;
		int r;

		row->backend = (enum link_backend)b;
		r = link_choose(&lr, &spec, row->detail, sizeof(row->detail));
		if (r < 0)
			continue;
		row->usable = true;
		if (b == LINK_BACKEND_AUTO) {
			snprintf(row->detail, sizeof(row->detail), "resolves to %s (%s)",
				 link_backend_name(lr.backend), lr.why);
		} else if (lr.backend == LINK_BACKEND_TUN) {
			row->usable = access("/dev/net/tun", R_OK | W_OK) == 0;
			snprintf(row->detail, sizeof(row->detail), "%s",
				 row->usable ? "userspace emulator on a TUN device: rate, delay, "
					       "loss, jitter, queue, traces"
					     : "/dev/net/tun is not usable here");
		} else if (lr.backend == LINK_BACKEND_TC) {
			snprintf(
			    row->detail, sizeof(row->detail),
			    "tbf + FIFO on the router, through rtnetlink: rate and queue only");
		} else if (lr.backend == LINK_BACKEND_NETEM) {
			snprintf(
			    row->detail, sizeof(row->detail),
			    "netem (+ tbf + FIFO) on the router, through rtnetlink: rate, delay, "
			    "jitter, loss, queue");
		} else if (lr.backend == LINK_BACKEND_NONE) {
			snprintf(row->detail, sizeof(row->detail),
				 "a plain veth pair: no rate, delay, loss or queue of ccexp's");
		}
	}
	/* auto is only as usable as what it picks. */
	if (!link_choose(&auto_lr, &auto_spec, err, sizeof(err)))
		ctx->backends[LINK_BACKEND_AUTO].usable = ctx->backends[auto_lr.backend].usable;
}

/* The config's unit, from the name's suffix: "syn_rto_ms" -> "ms". */
static const char *knob_unit(const struct knob_info *k)
{
	const char *u = strrchr(k->name, '_');

	if (k->is_bool)
		return "bool";
	return u && u[1] ? u + 1 : "-";
}

static const char *knob_sides(unsigned int sides)
{
	if (sides == CCX_SIDES_BOTH)
		return "both";
	if (sides == CCX_SIDES_SENDER)
		return "sender";
	if (sides == CCX_SIDES_RECEIVER)
		return "receiver";
	return "none";
}

static const char *impl_name(enum cc_impl impl)
{
	return impl == CC_IMPL_BPF ? "bpf" : "kernel";
}

static void print_table(FILE *out, const struct list_ctx *ctx)
{
	fputs("CONGESTION CONTROL  SOURCE   cc = \"NAME\" GIVES\n", out);
	for (size_t i = 0; i < ctx->n_kernel_cc; i++) {
		const char *name = ctx->kernel_cc[i];

		fprintf(out, "%-18s  %-7s  %s (also \"%s@kernel\")\n", name, "kernel",
			cc_algo_by_name(name) == CCX_CC_NONE ? "the kernel's"
							     : "the kernel's; bundled via @bpf",
			name);
	}
	for (int i = 0; i < cc_bundled_count() && i < LIST_MAX_BUNDLED_CC; i++) {
		const char *name = cc_algo_name(cc_bundled_algo(i));
		const struct cc_choice *c = &ctx->bundled[i];

		fprintf(out, "%-18s  %-7s  %s -> %s (%s; \"%s@bpf\" forces bundled)\n", name,
			"bundled", name, impl_name(c->impl),
			c->impl == CC_IMPL_BPF ? "the kernel has none" : "the kernel has one",
			name);
	}
	if (!ctx->have_available)
		fprintf(out, "(could not read %s)\n", TCP_CC_AVAILABLE_PATH);

	fputs("\nLINK BACKEND  USABLE  DETAIL\n", out);
	for (int b = 0; b < LINK_BACKEND_MAX; b++) {
		const struct backend_row *row = &ctx->backends[b];

		fprintf(out, "%-12s  %-6s  %s\n", link_backend_name(row->backend),
			row->usable ? "yes" : "no", row->detail);
	}

	fputs("\nSOCKOPS KNOB           UNIT   DEFAULT SIDE  CALLBACK\n", out);
	for (int k = 0; k < CCX_KNOB_MAX; k++) {
		const struct knob_info *ki = &knob_table[k];

		if (!ki->name)
			continue; /* cc: listed above */
		fprintf(out, "%-21s  %-5s  %-12s  %s\n", ki->name, knob_unit(ki),
			knob_sides(ki->default_sides), ki->callback);
	}
}

static int print_json(FILE *out, const struct list_ctx *ctx)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "congestion_controls");
	json_array_begin(&j);
	for (size_t i = 0; i < ctx->n_kernel_cc; i++) {
		json_object_begin(&j);
		json_kv_str(&j, "name", ctx->kernel_cc[i]);
		json_kv_str(&j, "source", "kernel");
		json_kv_str(&j, "resolves_to", "kernel");
		json_object_end(&j);
	}
	for (int i = 0; i < cc_bundled_count() && i < LIST_MAX_BUNDLED_CC; i++) {
		json_object_begin(&j);
		json_kv_str(&j, "name", cc_algo_name(cc_bundled_algo(i)));
		json_kv_str(&j, "source", "bundled");
		json_kv_str(&j, "resolves_to", impl_name(ctx->bundled[i].impl));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "kernel_available");
	if (ctx->have_available)
		json_str(&j, ctx->available);
	else
		json_null(&j);

	json_key(&j, "link_backends");
	json_array_begin(&j);
	for (int b = 0; b < LINK_BACKEND_MAX; b++) {
		json_object_begin(&j);
		json_kv_str(&j, "name", link_backend_name(ctx->backends[b].backend));
		json_kv_bool(&j, "usable", ctx->backends[b].usable);
		json_kv_str(&j, "detail", ctx->backends[b].detail);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "knobs");
	json_array_begin(&j);
	for (int k = 0; k < CCX_KNOB_MAX; k++) {
		const struct knob_info *ki = &knob_table[k];

		if (!ki->name)
			continue;
		json_object_begin(&j);
		json_kv_str(&j, "name", ki->name);
		json_kv_str(&j, "unit", knob_unit(ki));
		json_kv_str(&j, "default_side", knob_sides(ki->default_sides));
		json_kv_str(&j, "callback", ki->callback);
		json_kv_str(&j, "kernel_op", ki->kernel_op);
		json_kv_str(&j, "kernel_unit", ki->kernel_unit);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	return json_finish(&j);
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: ccexp list [--json]\n"
	    "\n"
	    "List what a config can ask for on this machine: the congestion controls (the\n"
	    "kernel's, from tcp_available_congestion_control, and the ones ccexp bundles as BPF,\n"
	    "with what `cc = \"nv\"` resolves to here), the link backends and whether each is\n"
	    "usable here, and the sockops knobs with their unit, default side and callback.\n"
	    "Changes nothing; needs no root.\n"
	    "\n"
	    "A flow's cc may be a kernel name (\"cubic\", \"cubic@kernel\") or a bundled one:\n"
	    "\"nv\" is the kernel's nv when it has one, else the bundled BPF nv; \"nv@kernel\"\n"
	    "and \"nv@bpf\" force one or the other.\n"
	    "\n"
	    "options:\n"
	    "  --json      print one JSON document instead of the tables\n"
	    "  -h, --help  show this help\n"
	    "\n"
	    "exit status: 0, or 2 on a bad command line.\n"
	    "\n"
	    "EXAMPLES\n"
	    "  ccexp list\n"
	    "  ccexp list --json | python3 -m json.tool\n"
	    "  ccexp list --json | jq -r '.congestion_controls[] | \"\\(.name) -> "
	    "\\(.resolves_to)\"'\n");
}

int cmd_list(int argc, char **argv)
{
	static struct list_ctx ctx;
	bool json = false;
	int r = parse_json_option("list", argc, argv, usage, &json);

	if (r >= 0)
		return r;
	r = 0;

	memset(&ctx, 0, sizeof(ctx));
	read_kernel_cc(&ctx);
	resolve_bundled(&ctx);
	probe_backends(&ctx);
	if (json)
		r = print_json(stdout, &ctx);
	else
		print_table(stdout, &ctx);
	if (r || fflush(stdout) == EOF) {
		log_err_errno(r ? r : -errno, "write output");
		return CCX_EXIT_FAILURE;
	}
	return CCX_EXIT_OK;
}
