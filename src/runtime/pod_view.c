/* PodSandboxStatus and ListPodSandbox, from memory. */
#include <stdlib.h>
#include <string.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Without change notifications, the host's addresses are read at most once a second. */
#define HOST_IPS_TTL_MS 1000

void host_ips_changed(struct runtime *rt) {
        pthread_mutex_lock(&rt->host_lock);
        rt->is_host_ips_stale = true;
        pthread_mutex_unlock(&rt->host_lock);
}

char **host_ips_copy(struct runtime *rt) {
        pthread_mutex_lock(&rt->host_lock);
        int64_t now = clock_mono_ms();
        bool is_expired = rt->host_changes_fd < 0 && now - rt->host_ips_at_ms >= HOST_IPS_TTL_MS;
        if (!rt->host_ips || rt->is_host_ips_stale || is_expired) {
                char **ips = NULL;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (host_addresses(&ips, &e) < 0)
                        cric_error_log_free(&e, "the host's addresses");
                else {
                        strv_free(rt->host_ips);
                        rt->host_ips = ips;
                }
                rt->host_ips_at_ms = now;
                rt->is_host_ips_stale = false;
        }
        char **copy = strv_copy(rt->host_ips);
        pthread_mutex_unlock(&rt->host_lock);
        return copy ? copy : xcalloc(1, sizeof(char *));
}

struct pod_view pod_view_of(struct pod *p) {
        return (struct pod_view){
                .info = &pod_ref(p)->info, .state = p->state, .has_limits = p->has_limits, .limits = p->limits};
}

void pod_view_clear(struct pod_view *v) {
        if (v->info)
                pod_unref((struct pod *) v->info);
        strv_free(v->ips);
        free(v->netns_path);
        *v = (struct pod_view){0};
}

void pod_views_free(struct pod_view *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                pod_view_clear(&v[i]);
        free(v);
}

int runtime_pod_status(struct runtime *rt, const char *id, struct pod_view *ret, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        struct pod *p = index_find(&rt->pods, id, "pod", err);
        struct pod_view v = p ? pod_view_of(p) : (struct pod_view){0};
        pthread_mutex_unlock(&rt->lock);
        if (!p)
                return -1;
        if (!(p->ns & NETNS_NET))
                v.ips = host_ips_copy(rt);
        else if (v.state == POD_READY)
                v.ips = strv_copy(p->ips);
        else
                v.ips = xcalloc(1, sizeof(char *)); /* the network is detached */
        if (v.state == POD_READY)
                v.netns_path = pod_netns_path(rt, p);
        *ret = v;
        return 0;
}

static bool matches(const struct pod *p, const struct pod_filter *f) {
        if (!f)
                return true;
        if (f->id_prefix && *f->id_prefix && strncmp(p->info.id, f->id_prefix, strlen(f->id_prefix)))
                return false;
        if (f->state >= 0 && (int) p->state != f->state)
                return false;
        return kv_match(p->info.labels, f->label_selector);
}

static int by_creation(const void *a, const void *b) {
        const struct pod_view *x = a, *y = b;
        if (x->info->created_ns != y->info->created_ns)
                return x->info->created_ns < y->info->created_ns ? -1 : 1;
        return strcmp(x->info->id, y->info->id);
}

void runtime_pod_list(struct runtime *rt, const struct pod_filter *f, struct pod_view **ret, size_t *ret_n) {
        pthread_mutex_lock(&rt->lock);
        struct pod_view *v = xcalloc(rt->pods.n + 1, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < rt->pods.n; i++)
                if (matches(rt->pods.objs[i], f))
                        v[n++] = pod_view_of(rt->pods.objs[i]);
        pthread_mutex_unlock(&rt->lock);
        qsort(v, n, sizeof(*v), by_creation);
        *ret = v;
        *ret_n = n;
}
