/* placeholder */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("sockops") int ccx_sockops(struct bpf_sock_ops *skops) { return 1; }
char LICENSE[] SEC("license") = "GPL";
