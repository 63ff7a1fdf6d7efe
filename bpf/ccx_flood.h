/* The arguments of flood.bpf.c's program, shared with the benchmark that runs it. */
#ifndef CCX_FLOOD_H
#define CCX_FLOOD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Passed as the program's context (BPF_PROG_TEST_RUN's ctx_in). */
struct ccx_flood_args {
	__u32 count;	  /* events to try to reserve in this run */
	__u32 flow_id;	  /* the flow the events claim to belong to */
	__u16 lport_base; /* client ports lport_base .. lport_base + nports - 1 */
	__u16 nports;
	__u16 rport;
	__u16 pad;
	__u64 seq; /* events of earlier runs: bytes_acked keeps growing across runs */
};

#endif
