/* The arguments of flood.bpf.c's program, shared with the benchmark that runs it. */
#ifndef CCX_FLOOD_H
#define CCX_FLOOD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Passed as the program's context (BPF_PROG_TEST_RUN's ctx_in). */
struct ccx_flood_args {
	/* Events to try to reserve in this run. 64 bits: the verifier inlines bpf_loop() with a
	 * 64-bit bound check, and clang may pass a 32-bit field with its neighbour in the upper
	 * half (seen here: E2BIG from a flow_id of 1). */
	__u64 count;
	__u64 seq;	  /* events of earlier runs: bytes_acked keeps growing across runs */
	__u32 flow_id;	  /* the flow the events claim to belong to */
	__u16 lport_base; /* client ports lport_base .. lport_base + nports - 1 */
	__u16 nports;
	__u16 rport;
	__u16 pad[3];
};

#endif
