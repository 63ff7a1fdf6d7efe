/* Integration test: cc_resolve() and the known-cc list, and bundled algorithms registered per run
 * (sharing the sockops object's maps) appear in and leave tcp_available_congestion_control. */
#include "ccx_test.h"
#include "core/words.h"
#include "kernel/cc.h"
#include "kernel/sys.h"
#include "sockops.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>

static bool available(const char *name)
{
	char list[1024];

	if (sys_read_file(TCP_CC_AVAILABLE_PATH, list, sizeof(list)))
		return false;
	return words_contain(list, name);
}

static void test_resolve(void)
{
	const char *kernel = "reno bbr cubic\n";
	struct cc_choice c;
	char err[256];

	CHECK(cc_resolve("cubic", kernel, &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_KERNEL && c.algo == CCX_CC_NONE && !c.forced);
	CHECK_STR_EQ(c.name, "cubic");
	CHECK(cc_resolve("cubic@kernel", kernel, &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_KERNEL && c.forced);
	CHECK_STR_EQ(c.name, "cubic");
	CHECK(cc_resolve("nv", kernel, &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_BPF && c.algo == CCX_CC_NV);
	CHECK(cc_resolve("nv", "reno nv cubic", &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_KERNEL && c.algo == CCX_CC_NV);
	CHECK(cc_resolve("nv@bpf", "reno nv cubic", &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_BPF && c.algo == CCX_CC_NV && c.forced);
	CHECK(cc_resolve("vegas@bpf", kernel, &c, err, sizeof(err)) == 0);
	CHECK(c.impl == CC_IMPL_BPF && c.algo == CCX_CC_VEGAS);
	CHECK(cc_resolve("nv@kernel", kernel, &c, err, sizeof(err)) == -ENOENT);
	CHECK_STR_EQ(err, "the kernel has no nv; use \"nv\" or \"nv@bpf\"");
	CHECK(cc_resolve("cubic@bpf", kernel, &c, err, sizeof(err)) == -ENOENT);
	CHECK(cc_resolve("westwood", kernel, &c, err, sizeof(err)) == -ENOENT);
	CHECK(cc_resolve("nv@bogus", kernel, &c, err, sizeof(err)) == -EINVAL);
	CHECK(cc_resolve("@bpf", kernel, &c, err, sizeof(err)) == -EINVAL);
	/* Another run's registration is not a name a config can use. */
	CHECK(cc_resolve("ccxnv123456", "reno ccxnv123456", &c, err, sizeof(err)) == -ENOENT);
	CHECK_STR_EQ(cc_algo_name(CCX_CC_NV), "nv");
	CHECK_STR_EQ(cc_algo_name(CCX_CC_VEGAS), "vegas");
	CHECK(cc_algo_name(CCX_CC_NONE) == NULL);
	CHECK_STR_EQ(cc_bundled_names(), "nv vegas");
}

static void test_known_list(void)
{
	char list[1024];

	CHECK(cc_known_list(list, sizeof(list)) == 0);
	CHECK(words_contain(list, "cubic") && words_contain(list, "cubic@kernel"));
	CHECK(words_contain(list, "nv") && words_contain(list, "nv@bpf"));
	CHECK(words_contain(list, "vegas") && words_contain(list, "vegas@bpf"));
	CHECK(cc_known_list(list, 8) == -ENOSPC);
}

static void test_register(void)
{
	struct cc_registration a = {.link_fd = -1}, b = {.link_fd = -1};
	struct ccx_sockops *skel;
	int fds[CC_MAP_MAX], r;
	char err[256];

	skel = ccx_sockops__open_and_load();
	if (!skel)
		ccx_test_skip("cannot load the sockops object (BPF unavailable?)");
	fds[CC_MAP_EVENTS] = bpf_map__fd(skel->maps.events);
	fds[CC_MAP_COUNTERS] = bpf_map__fd(skel->maps.counters);
	fds[CC_MAP_SK_INFOS] = bpf_map__fd(skel->maps.sk_infos);

	r = cc_register(&a, CCX_CC_NV, "t0a1b2", fds, err, sizeof(err));
	CHECK_MSG(r == 0, "register nv: %s", err);
	CHECK_STR_EQ(a.name, "ccxnvt0a1b2");
	CHECK_MSG(available("ccxnvt0a1b2"), "ccxnvt0a1b2 not in %s", TCP_CC_AVAILABLE_PATH);
	CHECK(a.via_link); /* this kernel (6.18) has struct_ops links */

	/* A second run's registration of the same algorithm coexists with the first. */
	r = cc_register(&b, CCX_CC_NV, "t0c3d4", fds, err, sizeof(err));
	CHECK_MSG(r == 0, "register a second nv: %s", err);
	CHECK(available("ccxnvt0a1b2") && available("ccxnvt0c3d4"));
	cc_unregister(&b);
	CHECK(!available("ccxnvt0c3d4") && available("ccxnvt0a1b2"));
	cc_unregister(&a);
	CHECK_MSG(!available("ccxnvt0a1b2"), "ccxnvt0a1b2 still listed after unregistering");
	cc_unregister(&a); /* twice is harmless */

	r = cc_register(&a, CCX_CC_VEGAS, "t0e5f6", fds, err, sizeof(err));
	CHECK_MSG(r == 0, "register vegas: %s", err);
	CHECK(available("ccxvgt0e5f6"));
	cc_unregister(&a);
	CHECK(!available("ccxvgt0e5f6"));

	CHECK(cc_register(&a, CCX_CC_NONE, "t0a1b2", fds, err, sizeof(err)) == -EINVAL);
	CHECK(cc_register(&a, CCX_CC_NV, "0123456789abcdef", fds, err, sizeof(err)) == -EINVAL);
	ccx_sockops__destroy(skel);
}

int main(void)
{
	test_resolve();
	test_known_list();
	if (geteuid() != 0)
		ccx_test_skip("needs root: registers BPF congestion controls");
	test_register();
	return ccx_test_result();
}
