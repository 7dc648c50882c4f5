/* The directories of one cgroup across the mounted hierarchies. */
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int cgroup_path_validate(const char *cgroup, const char *what, struct cric_error **err) {
        if (!cgroup || cgroup[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s \"%s\" is not an absolute path", what,
                                      cgroup ? cgroup : "");
        if (!strcmp(cgroup, "/"))
                return 0;
        size_t n = strlen(cgroup);
        if (cgroup[n - 1] == '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s \"%s\" ends with a slash", what, cgroup);
        for (const char *c = cgroup + 1; c;) {
                const char *slash = strchr(c, '/');
                size_t len = slash ? (size_t) (slash - c) : strlen(c);
                if (len == 0)
                        return cric_error_set(err, CRIC_E_INVALID, "%s \"%s\" has an empty component", what, cgroup);
                if ((len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
                        return cric_error_set(err, CRIC_E_INVALID, "%s \"%s\" has a \".\" or \"..\" component", what,
                                              cgroup);
                c = slash ? slash + 1 : NULL;
        }
        return 0;
}

void cgroup_paths_add(struct cgroup_paths *p, const struct cgroup_hier *h, const char *rel) {
        struct cgroup_dir d = {
                .controllers = h->controllers ? strv_copy(h->controllers) : NULL,
                .path = strcmp(rel, "/") ? xasprintf("%s%s", h->mount_point, rel) : xstrdup(h->mount_point),
        };
        p->dirs = xrealloc(p->dirs, (p->n_dirs + 1) * sizeof(*p->dirs));
        p->dirs[p->n_dirs++] = d;
}

int cgroup_paths_new(const struct cgroup_mounts *m, const char *cgroup, struct cgroup_paths **ret,
                     struct cric_error **err) {
        if (cgroup_path_validate(cgroup, "cgroup", err) < 0)
                return -1;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = xzalloc(sizeof(*p));
        p->mode = m->mode;
        for (size_t i = 0; m->mode == CGROUP_V1 && i < m->n_v1; i++)
                cgroup_paths_add(p, &m->v1[i], cgroup);
        if (m->unified)
                cgroup_paths_add(p, m->unified, cgroup);
        *ret = STEAL_PTR(p);
        return 0;
}

const char *cgroup_paths_get(const struct cgroup_paths *p, const char *controller) {
        bool want_unified = p->mode == CGROUP_V2 || !*controller;
        for (size_t i = 0; i < p->n_dirs; i++) {
                const struct cgroup_dir *d = &p->dirs[i];
                if (want_unified ? !d->controllers : strv_contains(d->controllers, controller))
                        return d->path;
        }
        return NULL;
}

size_t cgroup_paths_count(const struct cgroup_paths *p) {
        return p->n_dirs;
}

const char *cgroup_paths_dir(const struct cgroup_paths *p, size_t i) {
        return i < p->n_dirs ? p->dirs[i].path : NULL;
}

struct cgroup_paths *cgroup_paths_free(struct cgroup_paths *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_dirs; i++) {
                strv_free(p->dirs[i].controllers);
                free(p->dirs[i].path);
        }
        free(p->dirs);
        free(p);
        return NULL;
}

void cgroup_paths_freep(struct cgroup_paths **p) {
        if (p)
                *p = cgroup_paths_free(*p);
}
