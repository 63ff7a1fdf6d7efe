/* Congestion controls a flow can use: the kernel's own and the ones ccexp bundles as BPF
 * struct_ops, how a config's `cc` name resolves to one of them, and registering a bundled one
 * under a per-run name. */
#ifndef CCX_CC_H
#define CCX_CC_H

#include "ccx_events.h"

#include <stdbool.h>
#include <stddef.h>

#define CC_NAME_MAX 16 /* TCP_CA_NAME_MAX, NUL included */

#define TCP_CC_AVAILABLE_PATH "/proc/sys/net/ipv4/tcp_available_congestion_control"

/* The bundled algorithms (bpf/tcp_<name>.bpf.c) are enum ccx_cc_algo of ccx_events.h, which
 * their events carry; CCX_CC_NONE is a kernel algorithm ccexp does not bundle. */
#define CCX_CC_NONE 0

enum cc_impl {
	CC_IMPL_KERNEL, /* built into the kernel or a module: set its name as is */
	CC_IMPL_BPF,	/* a bundled struct_ops: cc_register() it, then set reg.name */
};

/* What a config's `cc` names. */
struct cc_choice {
	enum cc_impl impl;
	int algo;		/* CCX_CC_NONE for a kernel algorithm ccexp does not bundle */
	char name[CC_NAME_MAX]; /* the algorithm, without any "@kernel" / "@bpf" */
	bool forced;		/* the config said "@kernel" or "@bpf" */
};

/* Order of the sockops object's maps a bundled algorithm shares (cc_register()). */
enum cc_shared_map {
	CC_MAP_EVENTS,	 /* ring buffer */
	CC_MAP_COUNTERS, /* per-event counters */
	CC_MAP_SK_INFOS, /* per-socket storage the sockops program fills */
	CC_MAP_MAX,
};

/* A struct_ops object that can be registered under a chosen name: its ELF bytes (a
 * skeleton's <name>__elf_bytes) and the 15-character placeholder its `.name` holds. */
struct cc_object {
	const char *what; /* for messages: "bundled nv" */
	const void *(*elf_bytes)(size_t *size);
	const char *name_slot;
};

struct cc_registration {
	struct bpf_object *obj;
	void *elf_copy;		   /* libbpf reads it until obj is closed */
	struct bpf_link *map_link; /* libbpf's: the struct_ops map update */
	int link_fd;		   /* the kernel bpf_link, when registered through one */
	bool via_link;		   /* false: a killed process leaves the name registered */
	char name[CC_NAME_MAX];	   /* what a socket's TCP_CONGESTION must be set to */
};

/* "nv", "vegas"; NULL for anything else. */
const char *cc_algo_name(int algo);
/* The bundled names, space separated: "nv vegas". */
const char *cc_bundled_names(void);
/* The bundled algorithm called `name`, or CCX_CC_NONE. */
int cc_algo_by_name(const char *name);
/* How many algorithms ccexp bundles, and the i-th of them (0 <= i < cc_bundled_count()). */
int cc_bundled_count(void);
int cc_bundled_algo(int i);

/* True for names ccexp registers itself ("ccx..."): another run's, never a config's. */
bool cc_is_ccexp_name(const char *name);

/*
 * Resolves a config's cc against `kernel_available` (tcp_available_congestion_control):
 * "cubic" or "cubic@kernel" -> the kernel's; "nv" -> the kernel's nv when listed, else the
 * bundled one; "nv@kernel" -> the kernel's or an error; "nv@bpf" -> the bundled one.
 * Returns 0, or -ENOENT / -EINVAL with a message in err.
 */
int cc_resolve(const char *cfg_name, const char *kernel_available, struct cc_choice *out, char *err,
	       size_t len);

/*
 * Every name a config may give here, space separated: the kernel's algorithms, each with
 * "@kernel", the bundled names and each with "@bpf" (the list config_load() takes). Names
 * ccexp registered for other runs are left out. Returns 0, -ENOSPC, or -errno when
 * tcp_available_congestion_control cannot be read (buf then holds the bundled names and
 * "reno cubic").
 */
int cc_known_list(char *buf, size_t len);

/*
 * Registers bundled `algo` as "ccx<short><run_id>" (ccxnv3f9a1c). shared_map_fds (indexed by
 * enum cc_shared_map; -1: the object keeps its own) are the sockops object's maps, so the
 * algorithm writes into its ring buffer and reads its per-socket storage. Registers through a
 * bpf_link on kernels that have it (6.4+), so the name goes when the process dies. Returns 0,
 * or -errno with a message in err; *reg is then empty.
 */
int cc_register(struct cc_registration *reg, int algo, const char *run_id,
		const int shared_map_fds[CC_MAP_MAX], char *err, size_t len);
/* cc_register() for any struct_ops object: loads only its struct_ops programs. */
int cc_register_object(struct cc_registration *reg, const struct cc_object *o, const char *cc_name,
		       const int shared_map_fds[CC_MAP_MAX], char *err, size_t len);
/* Unregisters and frees; safe on a zeroed or already unregistered *reg. */
void cc_unregister(struct cc_registration *reg);

#endif
