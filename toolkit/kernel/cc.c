/* Congestion controls: the bundled BPF algorithms, resolving a config's cc name, and
 * registering a struct_ops object under a name chosen at run time. */
#include "kernel/cc.h"
#include "core/log.h"
#include "core/words.h"
#include "kernel/sys.h"
#include "tcp_nv.skel.h"
#include "tcp_vegas.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bundled_cc {
	int algo;		/* enum ccx_cc_algo */
	const char *name;	/* what a config says: "nv" */
	const char *short_name; /* in the registered name: ccx<short><run id> */
	struct cc_object object;
};

/* The name slots must match the `.name` placeholders in bpf/tcp_<name>.bpf.c. */
static const struct bundled_cc bundled[] = {
    {CCX_CC_NV, "nv", "nv", {"bundled nv", ccx_tcp_nv__elf_bytes, "ccxnv?nameslot_"}},
    {CCX_CC_VEGAS, "vegas", "vg", {"bundled vegas", ccx_tcp_vegas__elf_bytes, "ccxvg?nameslot_"}},
};

#define N_BUNDLED ((int)(sizeof(bundled) / sizeof(bundled[0])))

static const char *const shared_map_names[CC_MAP_MAX] = {
    [CC_MAP_EVENTS] = "events",
    [CC_MAP_COUNTERS] = "counters",
    [CC_MAP_SK_INFOS] = "sk_infos",
};

static const struct bundled_cc *bundled_by_algo(int algo)
{
	for (int i = 0; i < N_BUNDLED; i++)
		if (bundled[i].algo == algo)
			return &bundled[i];
	return NULL;
}

const char *cc_algo_name(int algo)
{
	const struct bundled_cc *b = bundled_by_algo(algo);

	return b ? b->name : NULL;
}

const char *cc_bundled_names(void)
{
	static char names[64];

	if (!names[0]) {
		for (int i = 0; i < N_BUNDLED; i++) {
			size_t used = strlen(names);

			snprintf(names + used, sizeof(names) - used, "%s%s", i ? " " : "",
				 bundled[i].name);
		}
	}
	return names;
}

int cc_algo_by_name(const char *name)
{
	for (int i = 0; i < N_BUNDLED; i++)
		if (!strcmp(name, bundled[i].name))
			return bundled[i].algo;
	return CCX_CC_NONE;
}

int cc_bundled_count(void)
{
	return N_BUNDLED;
}

int cc_bundled_algo(int i)
{
	return i >= 0 && i < N_BUNDLED ? bundled[i].algo : CCX_CC_NONE;
}

bool cc_is_ccexp_name(const char *name)
{
	return !strncmp(name, "ccx", 3);
}

int cc_resolve(const char *cfg_name, const char *kernel_available, struct cc_choice *out, char *err,
	       size_t len)
{
	const char *at = strchr(cfg_name, '@');
	size_t n = at ? (size_t)(at - cfg_name) : strlen(cfg_name);
	bool want_kernel = false, want_bpf = false;
	char name[CC_NAME_MAX];
	bool in_kernel;

	memset(out, 0, sizeof(*out));
	if (at && !strcmp(at, "@kernel"))
		want_kernel = true;
	else if (at && !strcmp(at, "@bpf"))
		want_bpf = true;
	else if (at) {
		snprintf(err, len,
			 "congestion control \"%s\": after '@' comes \"kernel\" or \"bpf\"",
			 cfg_name);
		return -EINVAL;
	}
	if (!n || n >= sizeof(name)) {
		snprintf(err, len,
			 "congestion control \"%s\": the name must have 1 to %d characters",
			 cfg_name, CC_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(name, cfg_name, n);
	name[n] = '\0';
	in_kernel = words_contain(kernel_available, name) && !cc_is_ccexp_name(name);

	snprintf(out->name, sizeof(out->name), "%s", name);
	out->algo = cc_algo_by_name(name);
	out->forced = want_kernel || want_bpf;
	if (want_bpf) {
		if (out->algo == CCX_CC_NONE) {
			snprintf(err, len, "ccexp bundles no %s; bundled: %s", name,
				 cc_bundled_names());
			return -ENOENT;
		}
		out->impl = CC_IMPL_BPF;
		return 0;
	}
	if (in_kernel) {
		out->impl = CC_IMPL_KERNEL;
		return 0;
	}
	if (want_kernel) {
		if (out->algo != CCX_CC_NONE)
			snprintf(err, len, "the kernel has no %s; use \"%s\" or \"%s@bpf\"", name,
				 name, name);
		else
			snprintf(err, len, "the kernel has no %s (available: %s)", name,
				 kernel_available);
		return -ENOENT;
	}
	if (out->algo == CCX_CC_NONE) {
		snprintf(err, len, "unknown congestion control \"%s\" (kernel: %s; bundled: %s)",
			 name, kernel_available, cc_bundled_names());
		return -ENOENT;
	}
	out->impl = CC_IMPL_BPF;
	return 0;
}

static int list_add(char *buf, size_t len, size_t *used, const char *word, const char *suffix)
{
	int n = snprintf(buf + *used, len - *used, "%s%s%s", *used ? " " : "", word, suffix);

	if (n < 0 || (size_t)n >= len - *used) {
		buf[*used] = '\0';
		return -ENOSPC;
	}
	*used += (size_t)n;
	return 0;
}

int cc_known_list(char *buf, size_t len)
{
	char avail[1024], word[CC_NAME_MAX];
	const char *p = avail, *w;
	size_t used = 0, n;
	int r, read_r;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	read_r = sys_read_file(TCP_CC_AVAILABLE_PATH, avail, sizeof(avail));
	if (read_r < 0)
		snprintf(avail, sizeof(avail), "reno cubic");
	/* Each kernel name, then the same with @kernel, so "nv" and "nv@kernel" sit together. */
	while ((w = words_next(&p, &n))) {
		snprintf(word, sizeof(word), "%.*s", (int)n, w);
		if (cc_is_ccexp_name(word))
			continue;
		r = list_add(buf, len, &used, word, "");
		if (!r)
			r = list_add(buf, len, &used, word, "@kernel");
		if (r)
			return r;
	}
	for (int i = 0; i < N_BUNDLED; i++) {
		r = 0;
		if (!words_contain(avail, bundled[i].name))
			r = list_add(buf, len, &used, bundled[i].name, "");
		if (!r)
			r = list_add(buf, len, &used, bundled[i].name, "@bpf");
		if (r)
			return r;
	}
	return read_r < 0 ? read_r : 0;
}

/*
 * libbpf 1.1 and bpftool 7.1 give no way to change a struct_ops map's data before load (no
 * skel->struct_ops.<map>, bpf_map__set_initial_value refuses non-mmapable maps), so the name is
 * written over the placeholder in a private copy of the object: two runs register two names.
 */
static struct bpf_object *open_named(const struct cc_object *o, const char *cc_name,
				     void **elf_copy, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	size_t size, slot_len = strlen(o->name_slot) + 1;
	struct bpf_object *obj;
	const void *elf;
	char *copy, *slot;
	int r;

	*elf_copy = NULL;
	elf = o->elf_bytes(&size);
	copy = malloc(size);
	if (!copy) {
		snprintf(err, len, "open %s: %s", o->what, strerror(ENOMEM));
		return errno = ENOMEM, NULL;
	}
	memcpy(copy, elf, size);
	slot = memmem(copy, size, o->name_slot, slot_len);
	if (!slot || memmem(slot + 1, size - (size_t)(slot + 1 - copy), o->name_slot, slot_len)) {
		snprintf(err, len, "%s object has %s name slot \"%s\"", o->what,
			 slot ? "more than one" : "no", o->name_slot);
		free(copy);
		return errno = ENOEXEC, NULL;
	}
	memset(slot, 0, slot_len);
	memcpy(slot, cc_name, strnlen(cc_name, slot_len - 1));

	opts.object_name = cc_name;
	obj = bpf_object__open_mem(copy, size, &opts);
	if (!obj) {
		r = -errno;
		snprintf(err, len, "open %s: %s", o->what, strerror(-r));
		free(copy);
		return errno = -r, NULL;
	}
	*elf_copy = copy;
	return obj;
}

/*
 * A struct_ops registration made by map update outlives a SIGKILLed process; one made through a
 * bpf_link (Linux 6.4+) ends with its last fd. libbpf 1.1 and Debian 12's 6.1 uapi headers
 * know neither, hence the numbers.
 */
#define CCX_BPF_F_LINK	   (1U << 13)
#define CCX_BPF_STRUCT_OPS 44 /* enum bpf_attach_type */

static int register_once(struct cc_registration *reg, const struct cc_object *o,
			 const char *cc_name, const int shared_map_fds[CC_MAP_MAX], bool with_link,
			 char *err, size_t len)
{
	struct bpf_map *map, *ops = NULL;
	struct bpf_program *prog;
	int r, link_fd;

	reg->obj = open_named(o, cc_name, &reg->elf_copy, err, len);
	if (!reg->obj)
		return -errno;
	bpf_object__for_each_map(map, reg->obj)
	{
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (ops) {
			snprintf(err, len, "%s object has more than one struct_ops map", o->what);
			return -ENOEXEC;
		}
		ops = map;
	}
	if (!ops) {
		snprintf(err, len, "%s object has no struct_ops map", o->what);
		return -ENOEXEC;
	}
	/* Only the algorithm: a tracing program in the same object must not fail it. */
	bpf_object__for_each_program(prog, reg->obj) if (bpf_program__type(prog) !=
							 BPF_PROG_TYPE_STRUCT_OPS)
	    bpf_program__set_autoload(prog, false);
	for (int i = 0; i < CC_MAP_MAX; i++) {
		if (!shared_map_fds || shared_map_fds[i] < 0)
			continue;
		map = bpf_object__find_map_by_name(reg->obj, shared_map_names[i]);
		if (!map)
			continue; /* this algorithm does not use it */
		r = bpf_map__reuse_fd(map, shared_map_fds[i]);
		if (r) {
			snprintf(err, len, "%s: share map %s: %s", o->what, shared_map_names[i],
				 strerror(-r));
			return r;
		}
	}
	if (with_link)
		bpf_map__set_map_flags(ops, bpf_map__map_flags(ops) | CCX_BPF_F_LINK);
	r = bpf_object__load(reg->obj);
	if (r) {
		snprintf(err, len, "load %s (tcp_congestion_ops %s): %s", o->what, cc_name,
			 strerror(-r));
		return r;
	}
	/* With BPF_F_LINK this update only readies the map; without, it registers. */
	reg->map_link = bpf_map__attach_struct_ops(ops);
	if (!reg->map_link) {
		r = -errno;
		snprintf(err, len, "register %s as %s: %s", o->what, cc_name, strerror(-r));
		return r;
	}
	snprintf(reg->name, sizeof(reg->name), "%s", cc_name);
	if (!with_link)
		return 0;
	/* The kernel refuses map deletes on link maps: let only the bpf_link unregister. */
	bpf_link__disconnect(reg->map_link);
	link_fd = bpf_link_create(bpf_map__fd(ops), 0, CCX_BPF_STRUCT_OPS, NULL);
	if (link_fd < 0) {
		snprintf(err, len, "register %s as %s through a bpf_link: %s", o->what, cc_name,
			 strerror(-link_fd));
		return link_fd;
	}
	reg->link_fd = link_fd;
	reg->via_link = true;
	return 0;
}

void cc_unregister(struct cc_registration *reg)
{
	if (reg->via_link && reg->link_fd >= 0) {
		/* Detach is synchronous; before 6.9 only the close unregisters. */
		bpf_link_detach(reg->link_fd);
		close(reg->link_fd);
	}
	bpf_link__destroy(reg->map_link);
	bpf_object__close(reg->obj);
	free(reg->elf_copy);
	*reg = (struct cc_registration){.link_fd = -1};
}

int cc_register_object(struct cc_registration *reg, const struct cc_object *o, const char *cc_name,
		       const int shared_map_fds[CC_MAP_MAX], char *err, size_t len)
{
	char first[256];
	int r;

	*reg = (struct cc_registration){.link_fd = -1};
	if (!cc_name[0] || strlen(cc_name) >= CC_NAME_MAX) {
		snprintf(err, len, "congestion control name \"%s\": 1 to %d characters", cc_name,
			 CC_NAME_MAX - 1);
		return -EINVAL;
	}
	r = register_once(reg, o, cc_name, shared_map_fds, true, first, sizeof(first));
	if (!r)
		return 0;
	cc_unregister(reg);
	/* Before 6.4 the kernel rejects BPF_F_LINK on the map (EINVAL): register the old way.
	 * Any other failure repeats itself and is then reported. */
	log_debug("%s; registering without a bpf_link", first);
	r = register_once(reg, o, cc_name, shared_map_fds, false, err, len);
	if (r)
		cc_unregister(reg);
	return r;
}

int cc_register(struct cc_registration *reg, int algo, const char *run_id,
		const int shared_map_fds[CC_MAP_MAX], char *err, size_t len)
{
	const struct bundled_cc *b = bundled_by_algo(algo);
	char name[CC_NAME_MAX];
	int n;

	*reg = (struct cc_registration){.link_fd = -1};
	if (!b) {
		snprintf(err, len, "no bundled congestion control %d", algo);
		return -EINVAL;
	}
	n = snprintf(name, sizeof(name), "ccx%s%s", b->short_name, run_id);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		snprintf(err, len, "run id \"%s\" is too long for a congestion control name",
			 run_id);
		return -EINVAL;
	}
	return cc_register_object(reg, &b->object, name, shared_map_fds, err, len);
}
