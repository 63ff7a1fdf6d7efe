/* Named network namespaces kept the way ip-netns(8) keeps them, made without spawning ip. */
#pragma once

/* A new namespace bind-mounted on /run/netns/<name> (which is made a shared mount point, as
 * ip does), so that `ip netns` and setns(2) by path find it. 0 or -errno; -EEXIST when the
 * name is taken. */
int netns_add(const char *name);

/* Unmounts and removes /run/netns/<name>; the namespace goes when its last user does.
 * 0 or -errno. */
int netns_del(const char *name);
