/* The config directory is re-read lazily: every look (Status, RunPodSandbox) compares
 * a cheap signature of the directory (names, sizes, modification times) with the last
 * one, so files added, changed or removed while the daemon runs take effect at once,
 * with no watcher thread to keep alive. */
#include "network/cni_manager.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "metrics/metrics.h"
#include "network/cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct cni_manager {
        pthread_mutex_t lock;
        char *dir;
        char **plugin_dirs;
        char *default_name;
        char *cache_dir;
        unsigned timeout_ms;
        char *signature;        /* of the directory as last loaded; NULL: never loaded */
        struct cni_dir *loaded; /* NULL when the directory could not be listed */
        struct cni_net *net;    /* the default network (a reference), or NULL */
        char *load_error;       /* why the directory could not be read */
        char *pod_cidr;
};

struct cni_manager *cni_manager_new(const struct cni_manager_opts *o) {
        struct cni_manager *m = xzalloc(sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
        m->dir = xstrdup(o->dir);
        m->plugin_dirs = strv_copy(o->plugin_dirs);
        m->default_name = xstrdup(o->default_name ? o->default_name : "");
        m->cache_dir = xstrdup(o->cache_dir);
        m->timeout_ms = o->timeout_ms;
        return m;
}

void cni_manager_free(struct cni_manager *m) {
        if (!m)
                return;
        if (m->net)
                cni_net_unref(m->net);
        cni_dir_free(m->loaded);
        free(m->dir);
        strv_free(m->plugin_dirs);
        free(m->default_name);
        free(m->cache_dir);
        free(m->signature);
        free(m->load_error);
        free(m->pod_cidr);
        pthread_mutex_destroy(&m->lock);
        free(m);
}

/* "name size mtime\n" per entry, in name order; "" for a missing directory. */
static char *dir_signature(const char *dir) {
        CLEANUP(strv_freep) char **names = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_list_dir(dir, NULL, false, &names, &e) < 0)
                return xstrdup("");
        size_t cap = 0, len = 0;
        char *sig = NULL;
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *path = xasprintf("%s/%s", dir, names[i]);
                struct stat st;
                if (stat(path, &st) < 0)
                        continue;
                AUTOFREE char *line = xasprintf("%s %lld %lld.%09ld\n", names[i], (long long) st.st_size,
                                                (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
                size_t l = strlen(line);
                sig = xgrow(sig, &cap, len + l + 1, 1);
                memcpy(sig + len, line, l + 1);
                len += l;
        }
        return sig ? sig : xstrdup("");
}

/* With m->lock held. */
static void refresh(struct cni_manager *m) {
        AUTOFREE char *sig = dir_signature(m->dir);
        if (m->signature && !strcmp(sig, m->signature))
                return;
        free(m->signature);
        m->signature = STEAL_PTR(sig);
        if (m->net)
                cni_net_unref(m->net);
        m->net = NULL;
        cni_dir_free(m->loaded);
        m->loaded = NULL;
        free(m->load_error);
        m->load_error = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cni_dir_load(m->dir, &m->loaded, &e) < 0) {
                m->load_error = xstrdup(e->msg);
                log_warn("CNI: %s", e->msg);
                return;
        }
        for (size_t i = 0; m->loaded->problems && m->loaded->problems[i]; i++)
                log_warn("CNI: skipping %s", m->loaded->problems[i]);
        const struct cni_net *def = cni_dir_default(m->loaded, m->default_name);
        if (def) {
                m->net = cni_net_ref((struct cni_net *) def);
                log_info("CNI: network %s from %s", cni_net_name(def), cni_net_path(def));
        } else {
                log_warn("CNI: no usable network configuration in %s", m->dir);
        }
}

/* The default network, referenced, or NULL. */
static struct cni_net *current(struct cni_manager *m) {
        pthread_mutex_lock(&m->lock);
        refresh(m);
        struct cni_net *n = m->net ? cni_net_ref(m->net) : NULL;
        pthread_mutex_unlock(&m->lock);
        return n;
}

static void net_unrefp(struct cni_net **n) {
        if (*n)
                cni_net_unref(*n);
}

static struct cni_exec_opts exec_opts(const struct cni_manager *m) {
        return (struct cni_exec_opts){
                .plugin_dirs = m->plugin_dirs,
                .cache_dir = m->cache_dir,
                .timeout_ms = m->timeout_ms,
        };
}

static char *not_ready_message(struct cni_manager *m) {
        if (m->load_error)
                return xasprintf("cannot read CNI configurations: %s", m->load_error);
        size_t n_problems = m->loaded ? strv_length(m->loaded->problems) : 0;
        AUTOFREE char *problems = NULL;
        if (n_problems) {
                AUTOFREE char *joined = strv_join(m->loaded->problems, "; ");
                problems = xasprintf(" (skipped: %s)", joined);
        }
        if (*m->default_name && m->loaded && m->loaded->n_nets)
                return xasprintf("CNI network \"%s\" is not among the configurations in %s%s", m->default_name, m->dir,
                                 problems ? problems : "");
        return xasprintf("no CNI configuration file in %s%s; has your network provider started?", m->dir,
                         problems ? problems : "");
}

bool cni_manager_ready(struct cni_manager *m, char **ret_reason, char **ret_message) {
        pthread_mutex_lock(&m->lock);
        refresh(m);
        struct cni_net *net = m->net ? cni_net_ref(m->net) : NULL;
        if (!net) {
                *ret_reason = xstrdup("NetworkPluginNotReady");
                *ret_message = not_ready_message(m);
                pthread_mutex_unlock(&m->lock);
                return false;
        }
        pthread_mutex_unlock(&m->lock);
        struct cni_exec_opts o = exec_opts(m);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        bool ok = cni_status(net, &o, &e) == 0;
        if (!ok) {
                *ret_reason = xstrdup("NetworkPluginNotReady");
                *ret_message = xasprintf("CNI network %s: %s", cni_net_name(net), e->msg);
        }
        cni_net_unref(net);
        return ok;
}

void cni_manager_set_pod_cidr(struct cni_manager *m, const char *cidr) {
        pthread_mutex_lock(&m->lock);
        free(m->pod_cidr);
        m->pod_cidr = cidr && *cidr ? xstrdup(cidr) : NULL;
        pthread_mutex_unlock(&m->lock);
}

static char **pod_ranges(struct cni_manager *m) {
        pthread_mutex_lock(&m->lock);
        char **ranges = m->pod_cidr ? strv_split(m->pod_cidr, ",") : NULL;
        pthread_mutex_unlock(&m->lock);
        return ranges;
}

/* The latency of an ADD or DEL, by network and its main (first) plugin. */
static void record(const struct cni_net *net, const char *op, int r, double start) {
        if (!metrics_enabled())
                return;
        const char *plugin = net && net->n_plugins ? net->types[0] : "";
        metrics_cni_done(op, net ? net->name : "", plugin, r >= 0, metrics_now() - start);
}

int cni_manager_add(struct cni_manager *m, const struct cni_attachment *a, struct cni_result **ret,
                    struct cric_error **err) {
        CLEANUP(net_unrefp) struct cni_net *net = current(m);
        if (!net) {
                pthread_mutex_lock(&m->lock);
                AUTOFREE char *msg = not_ready_message(m);
                pthread_mutex_unlock(&m->lock);
                return cric_error_set(err, CRIC_E_PRECONDITION, "network not ready: %s", msg);
        }
        CLEANUP(strv_freep) char **ranges = pod_ranges(m);
        struct cni_attachment with = *a;
        if (!with.ip_ranges)
                with.ip_ranges = ranges;
        struct cni_exec_opts o = exec_opts(m);
        double start = metrics_enabled() ? metrics_now() : 0;
        int r = cni_add(net, &with, &o, ret, err);
        record(net, "add", r, start);
        return r;
}

int cni_manager_del(struct cni_manager *m, const struct cni_attachment *a, struct cric_error **err) {
        CLEANUP(net_unrefp) struct cni_net *net = current(m);
        struct cni_exec_opts o = exec_opts(m);
        double start = metrics_enabled() ? metrics_now() : 0;
        int r = cni_del(net, a, &o, err);
        record(net, "del", r, start);
        return r;
}

int cni_manager_check(struct cni_manager *m, const struct cni_attachment *a, struct cric_error **err) {
        CLEANUP(net_unrefp) struct cni_net *net = current(m);
        if (!net)
                return 0;
        struct cni_exec_opts o = exec_opts(m);
        return cni_check(net, a, &o, err);
}

void cni_manager_gc(struct cni_manager *m, char *const *valid_ids) {
        struct cni_exec_opts o = exec_opts(m);
        CLEANUP(strv_freep) char **cached = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cni_cached_ids(m->cache_dir, &cached, &e) < 0) {
                cric_error_log_free(&e, "CNI: list cached attachments");
                return;
        }
        for (size_t i = 0; cached && cached[i]; i++) {
                if (strv_contains(valid_ids, cached[i]))
                        continue;
                log_info("CNI: removing the attachment of pod %s, which is gone", cached[i]);
                struct cni_attachment a = {.container_id = cached[i]};
                if (cni_del(NULL, &a, &o, &e) < 0)
                        cric_error_log_free(&e, "CNI: DEL of pod %s", cached[i]);
        }
        CLEANUP(net_unrefp) struct cni_net *net = current(m);
        if (net && cni_gc(net, valid_ids, &o, &e) < 0)
                cric_error_log_free(&e, "CNI: GC of network %s", cni_net_name(net));
}

char *cni_manager_network_name(struct cni_manager *m) {
        CLEANUP(net_unrefp) struct cni_net *net = current(m);
        return net ? xstrdup(cni_net_name(net)) : NULL;
}
