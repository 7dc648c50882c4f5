/* ContainerStats, PodSandboxStats and their List forms: the cgroups the OCI runtime made
 * and the containers' writable layers.
 *
 * usage_nano_cores is a rate: it needs the previous sample of the same cgroup, which the
 * usage cache keeps between calls (the kubelet polls every few seconds). */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

/* How long a container's usage is handed out again instead of read anew. */
#define REUSE_MS 1000

void usage_memory_clear(struct usage_memory *u) {
        free(u->last.fs_mountpoint);
        *u = (struct usage_memory){0};
}

static void usage_copy(struct runtime_usage *to, const struct runtime_usage *from) {
        *to = *from;
        to->fs_mountpoint = from->fs_mountpoint ? xstrdup(from->fs_mountpoint) : NULL;
}

/* The CPU rate since mem's previous sample, which cur replaces (rt->usage_lock held). */
static void set_rate(struct usage_memory *mem, struct runtime_usage *u) {
        if (!u->has_cgroup || !u->cgroup.has_cpu)
                return;
        u->has_nano_cores = mem->has_prev && cgroup_cpu_nano_cores(&mem->prev, &u->cgroup, &u->nano_cores);
        mem->prev = u->cgroup;
        mem->has_prev = true;
}

/* Reads the cgroup below the hierarchy roots; false when it is gone or unreadable. */
static bool read_cgroup(struct runtime *rt, const char *cgroup, struct cgroup_stats *ret) {
        if (!rt->cgroups || !cgroup || !*cgroup)
                return false;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cgroup_paths_new(rt->cgroups, cgroup, &p, &e) < 0 || cgroup_stats_read(p, ret, &e) < 0) {
                if (e->kind != CRIC_E_NOT_FOUND)
                        cric_error_log_free(&e, "stats of cgroup %s", cgroup);
                return false;
        }
        return true;
}

/* The size of the file system holding the writable layer, as cAdvisor reports it. */
static void fs_capacity(struct runtime_usage *u) {
        struct statvfs st;
        if (!u->fs_mountpoint || statvfs(u->fs_mountpoint, &st) < 0)
                return;
        u->has_fs_capacity = true;
        u->fs_capacity_bytes = (uint64_t) st.f_blocks * st.f_frsize;
        u->fs_inodes_total = st.f_files;
        u->fs_inodes_free = st.f_ffree;
}

void usage_of_container(struct runtime *rt, const struct container_view *v, struct runtime_usage *ret) {
        struct container *c = (struct container *) v->info;
        const struct container_info *i = v->info;
        int64_t now = clock_mono_ms();
        pthread_mutex_lock(&rt->usage_lock);
        bool is_fresh = c->usage.has_last && now - c->usage.last_mono_ms < REUSE_MS &&
                        (v->state != CONTAINER_EXITED || !c->usage.last.has_cgroup);
        if (is_fresh)
                usage_copy(ret, &c->usage.last);
        pthread_mutex_unlock(&rt->usage_lock);
        if (is_fresh)
                return;
        *ret = (struct runtime_usage){.timestamp_ns = runtime_now_ns()};
        ret->has_cgroup = v->state != CONTAINER_EXITED && read_cgroup(rt, i->cgroup, &ret->cgroup);
        if (ret->has_cgroup)
                ret->timestamp_ns = (int64_t) ret->cgroup.timestamp_ns;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (rootfs_usage(rt->layers, i->id, &ret->fs_bytes, &ret->fs_inodes, &ret->fs_mountpoint, &e) == 0) {
                ret->has_fs = true;
                fs_capacity(ret);
        } else
                cric_error_log_free(&e, "writable layer of container %s", i->id);
        pthread_mutex_lock(&rt->usage_lock);
        set_rate(&c->usage, ret);
        free(c->usage.last.fs_mountpoint);
        usage_copy(&c->usage.last, ret);
        c->usage.has_last = true;
        c->usage.last_mono_ms = now;
        pthread_mutex_unlock(&rt->usage_lock);
}

static void add_sample(struct cgroup_stats *sum, const struct cgroup_stats *s) {
        sum->timestamp_ns = s->timestamp_ns;
        sum->monotonic_ns = s->monotonic_ns;
#define ADD(flag, field)                                                                                               \
        if (s->flag) {                                                                                                 \
                sum->flag = true;                                                                                      \
                sum->field += s->field;                                                                                \
        }
        ADD(has_cpu, cpu_usage_core_ns);
        ADD(has_memory_usage, memory_usage_bytes);
        ADD(has_working_set, memory_working_set_bytes);
        ADD(has_rss, memory_rss_bytes);
        ADD(has_pids, pids_current);
        ADD(has_swap, swap_usage_bytes);
        ADD(has_cache, memory_cache_bytes);
        ADD(has_fds, file_descriptors);
        ADD(has_oom_kills, oom_kills);
#undef ADD
#define ADD2(flag, a, b)                                                                                               \
        if (s->flag) {                                                                                                 \
                sum->flag = true;                                                                                      \
                sum->a += s->a;                                                                                        \
                sum->b += s->b;                                                                                        \
        }
        ADD2(has_page_faults, page_faults, major_page_faults);
        ADD2(has_cpu_split, cpu_user_ns, cpu_system_ns);
        ADD2(has_tasks, processes, threads);
#undef ADD2
}

/* The pod's own cgroup, when the kubelet gave it one (cgroupfs form or a systemd slice). */
static bool pod_cgroup(struct runtime *rt, const struct pod_info *p, char **ret_key, struct cgroup_stats *ret) {
        if (!*p->cgroup_parent)
                return false;
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        const struct cgroup_driver *drv = cgroup_driver_find(cgroup_manager_to_string(cfg->cgroup_manager));
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (!drv || drv->pod_parent(p->cgroup_parent, ret_key, &e) < 0)
                return false;
        return read_cgroup(rt, *ret_key, ret);
}

void usage_of_pod(struct runtime *rt, const struct pod_view *v, const struct container_stats *ctrs, size_t n,
                  struct runtime_usage *ret) {
        *ret = (struct runtime_usage){.timestamp_ns = runtime_now_ns()};
        AUTOFREE char *key = NULL;
        if (pod_cgroup(rt, v->info, &key, &ret->cgroup)) {
                ret->has_cgroup = true;
        } else {
                for (size_t i = 0; i < n; i++) {
                        if (ctrs[i].usage.has_cgroup) {
                                add_sample(&ret->cgroup, &ctrs[i].usage.cgroup);
                                ret->has_cgroup = true;
                        }
                }
        }
        if (ret->has_cgroup)
                ret->timestamp_ns = (int64_t) ret->cgroup.timestamp_ns;
        pthread_mutex_lock(&rt->usage_lock);
        set_rate(&((struct pod *) v->info)->usage, ret);
        pthread_mutex_unlock(&rt->usage_lock);
}

/* ---- the calls ---- */

void container_stats_clear(struct container_stats *s) {
        container_view_clear(&s->view);
        free(s->usage.fs_mountpoint);
        *s = (struct container_stats){0};
}

void container_stats_free(struct container_stats *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                container_stats_clear(&s[i]);
        free(s);
}

void pod_stats_clear(struct pod_stats *s) {
        pod_view_clear(&s->view);
        free(s->usage.fs_mountpoint);
        container_stats_free(s->containers, s->n_containers);
        free(s->links);
        *s = (struct pod_stats){0};
}

void pod_stats_free(struct pod_stats *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                pod_stats_clear(&s[i]);
        free(s);
}

int runtime_container_stats(struct runtime *rt, const char *id, struct container_stats *ret, struct cric_error **err) {
        struct container_stats s = {0};
        pthread_mutex_lock(&rt->lock);
        struct container *c = index_find(&rt->ctrs, id, "container", err);
        if (c)
                s.view = ctr_view(c, false);
        pthread_mutex_unlock(&rt->lock);
        if (!c)
                return -1;
        usage_of_container(rt, &s.view, &s.usage);
        *ret = s;
        return 0;
}

void runtime_container_stats_list(struct runtime *rt, const struct container_filter *f, struct container_stats **ret,
                                  size_t *ret_n) {
        struct container_view *v = NULL;
        size_t n = 0, k = 0;
        runtime_container_list(rt, f, &v, &n);
        struct container_stats *s = xcalloc(n + 1, sizeof(*s));
        for (size_t i = 0; i < n; i++) {
                if (v[i].state == CONTAINER_EXITED) {
                        container_view_clear(&v[i]);
                        continue;
                }
                s[k].view = v[i];
                usage_of_container(rt, &s[k].view, &s[k].usage);
                k++;
        }
        free(v);
        *ret = s;
        *ret_n = k;
}

/* The pod's netlink socket, opened on first use (net_lock held); -1 once the pod is
 * stopping, so that its netns can go. */
static int pod_net_fd(struct runtime *rt, struct pod *p, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        bool is_stopping = p->is_stopping || p->state != POD_READY;
        pthread_mutex_unlock(&rt->lock);
        if (is_stopping)
                return cric_error_set(err, CRIC_E_PRECONDITION, "the pod is stopping");
        if (p->net_fd < 0) {
                AUTOFREE char *path = pod_netns_path(rt, p);
                p->net_fd = netns_stats_socket(path, err);
        }
        return p->net_fd;
}

/* The interfaces of a ready pod's own network namespace (none on the host network). */
static void network_of_pod(struct runtime *rt, struct pod_stats *s) {
        struct pod *p = (struct pod *) s->view.info;
        if (!(p->ns & NETNS_NET) || s->view.state != POD_READY)
                return;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        pthread_mutex_lock(&p->net_lock);
        s->network_timestamp_ns = runtime_now_ns();
        int fd = pod_net_fd(rt, p, &e);
        int r = fd < 0 ? -1 : netns_link_stats(fd, &s->links, &s->n_links, &e);
        if (r < 0 && p->net_fd >= 0) { /* a broken socket is opened again next time */
                close(p->net_fd);
                p->net_fd = -1;
        }
        pthread_mutex_unlock(&p->net_lock);
        if (r < 0) {
                log_debug("pod %s: %s, no network statistics", p->info.id, e->msg);
                return;
        }
        s->has_network = true;
}

static void fill_pod(struct runtime *rt, struct pod_stats *s) {
        struct container_filter f = {.pod_id_prefix = s->view.info->id, .state = -1};
        runtime_container_stats_list(rt, &f, &s->containers, &s->n_containers);
        usage_of_pod(rt, &s->view, s->containers, s->n_containers, &s->usage);
        network_of_pod(rt, s);
}

int runtime_pod_stats(struct runtime *rt, const char *id, struct pod_stats *ret, struct cric_error **err) {
        struct pod_stats s = {0};
        pthread_mutex_lock(&rt->lock);
        struct pod *p = index_find(&rt->pods, id, "pod", err);
        if (p)
                s.view = pod_view_of(p);
        pthread_mutex_unlock(&rt->lock);
        if (!p)
                return -1;
        fill_pod(rt, &s);
        *ret = s;
        return 0;
}

void runtime_pod_stats_list(struct runtime *rt, const struct pod_filter *f, struct pod_stats **ret, size_t *ret_n) {
        struct pod_view *v = NULL;
        size_t n = 0, k = 0;
        runtime_pod_list(rt, f, &v, &n);
        struct pod_stats *s = xcalloc(n + 1, sizeof(*s));
        for (size_t i = 0; i < n; i++) {
                if (v[i].state != POD_READY) {
                        pod_view_clear(&v[i]);
                        continue;
                }
                s[k].view = v[i];
                fill_pod(rt, &s[k]);
                k++;
        }
        free(v);
        *ret = s;
        *ret_n = k;
}

int runtime_container_fs_usage(struct runtime *rt, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                               struct cric_error **err) {
        return rootfs_all_usage(rt->layers, ret_bytes, ret_inodes, ret_path, err);
}
