/* ContainerStatus and ListContainers, from memory. */
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct container_view ctr_view(struct container *c, bool with_resources) {
        struct container_view v = {
                .info = &ctr_ref(c)->info,
                .state = c->state,
                .started_ns = c->started_ns,
                .finished_ns = c->finished_ns,
                .exit_code = c->exit_code,
                .reason = c->reason ? c->reason : "",
                /* Set once, at the exit: never replaced while a view borrows it. */
                .message = c->state == CONTAINER_EXITED && c->message ? c->message : "",
        };
        if (with_resources && c->res) {
                v.resources = c->res->r;
                v.resources_owner = resources_ref(c->res);
        }
        return v;
}

void container_view_clear(struct container_view *v) {
        if (v->info)
                ctr_unref((struct container *) v->info);
        resources_unref(v->resources_owner);
        *v = (struct container_view){0};
}

void container_views_free(struct container_view *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                container_view_clear(&v[i]);
        free(v);
}

int runtime_container_status(struct runtime *rt, const char *id, struct container_view *ret, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        struct container *c = index_find(&rt->ctrs, id, "container", err);
        if (c)
                *ret = ctr_view(c, true);
        pthread_mutex_unlock(&rt->lock);
        return c ? 0 : -1;
}

static bool has_prefix(const char *s, const char *prefix) {
        return !prefix || !*prefix || !strncmp(s, prefix, strlen(prefix));
}

static bool matches(const struct container *c, const struct container_filter *f) {
        if (!f)
                return true;
        if (!has_prefix(c->info.id, f->id_prefix) || !has_prefix(c->info.pod_id, f->pod_id_prefix))
                return false;
        if (f->state >= 0 && (int) c->state != f->state)
                return false;
        return kv_match(c->info.labels, f->label_selector);
}

static int by_creation(const void *a, const void *b) {
        const struct container_view *x = a, *y = b;
        if (x->info->created_ns != y->info->created_ns)
                return x->info->created_ns < y->info->created_ns ? -1 : 1;
        return strcmp(x->info->id, y->info->id);
}

void runtime_container_list(struct runtime *rt, const struct container_filter *f, struct container_view **ret,
                            size_t *ret_n) {
        pthread_mutex_lock(&rt->lock);
        struct container_view *v = xcalloc(rt->ctrs.n + 1, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < rt->ctrs.n; i++)
                if (matches(rt->ctrs.objs[i], f))
                        v[n++] = ctr_view(rt->ctrs.objs[i], false);
        pthread_mutex_unlock(&rt->lock);
        qsort(v, n, sizeof(*v), by_creation);
        *ret = v;
        *ret_n = n;
}

int runtime_container_spec(struct runtime *rt, const char *id, char **ret_json, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get(rt, id, err);
        if (!c)
                return -1;
        AUTOFREE char *path = xasprintf("%s/%s/config.json", rt->ctrs_dir, c->info.id);
        return fs_read_file(path, 16 << 20, ret_json, NULL, err);
}

char *runtime_image_volume_user(struct runtime *rt, const char *image_id) {
        char *user = NULL;
        pthread_mutex_lock(&rt->lock);
        for (size_t i = 0; i < rt->ctrs.n && !user; i++) {
                const struct container *ct = rt->ctrs.objs[i];
                const struct container_info *c = &ct->info;
                for (size_t k = 0; k < c->n_mounts && !user; k++)
                        if (!strcmp(c->mounts[k].image_id, image_id))
                                user = xasprintf("container %s (image volume at %s)", c->id,
                                                 c->mounts[k].container_path);
        }
        pthread_mutex_unlock(&rt->lock);
        return user;
}
