/* mounts: the default file systems, the pod's /dev/shm and resolv.conf/hosts/hostname,
 * the CRI's bind mounts (with propagation checked against the host's mount table), and
 * linux.maskedPaths / readonlyPaths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const default_masked[] = {
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
        NULL,
};
static const char *const default_readonly[] = {
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

void spec_mounts_clear(struct spec_ctx *c) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].destination);
                free(c->mounts[i].type);
                free(c->mounts[i].source);
                strv_free(c->mounts[i].options);
        }
        free(c->mounts);
        c->mounts = NULL;
        c->n_mounts = 0;
}

/* Adds a mount; one already at the same destination is replaced in place, so a CRI
 * mount over /dev/shm or /etc/hosts takes the default's turn. options ends with NULL. */
void spec_mount_add(struct spec_ctx *c, const char *dest, const char *type, const char *source,
                    const char *const *options) {
        struct spec_mount *m = NULL;
        for (size_t i = 0; i < c->n_mounts && !m; i++)
                if (strcmp(c->mounts[i].destination, dest) == 0)
                        m = &c->mounts[i];
        if (m) {
                free(m->destination);
                free(m->type);
                free(m->source);
                strv_free(m->options);
        } else {
                c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
                m = &c->mounts[c->n_mounts++];
        }
        *m = (struct spec_mount){.destination = xstrdup(dest), .type = xstrdup(type), .source = xstrdup(source)};
        for (; options && *options; options++)
                strv_push(&m->options, *options);
}

static void add_defaults(struct spec_ctx *c) {
        bool rw = c->sec->is_privileged;
        spec_mount_add(c, "/proc", "proc", "proc", (const char *[]){"nosuid", "noexec", "nodev", NULL});
        spec_mount_add(c, "/dev", "tmpfs", "tmpfs",
                       (const char *[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL});
        spec_mount_add(
                c, "/dev/pts", "devpts", "devpts",
                (const char *[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL});
        spec_mount_add(c, "/dev/mqueue", "mqueue", "mqueue", (const char *[]){"nosuid", "noexec", "nodev", NULL});
        spec_mount_add(c, "/sys", "sysfs", "sysfs",
                       (const char *[]){"nosuid", "noexec", "nodev", rw ? "rw" : "ro", NULL});
        spec_mount_add(c, "/sys/fs/cgroup", "cgroup", "cgroup",
                       (const char *[]){"nosuid", "noexec", "nodev", "relatime", rw ? "rw" : "ro", NULL});
}

static void add_shm(struct spec_ctx *c) {
        if (!c->has_ipcns) {
                spec_mount_add(c, "/dev/shm", "bind", "/dev/shm", (const char *[]){"rbind", "rprivate", "rw", NULL});
        } else if (!str_empty(c->sb->shm_path)) {
                spec_mount_add(c, "/dev/shm", "bind", c->sb->shm_path,
                               (const char *[]){"rbind", "rprivate", "nosuid", "noexec", "nodev", "rw", NULL});
        } else {
                char size[40];
                snprintf(size, sizeof(size), "size=%llu",
                         (unsigned long long) (c->sb->shm_size_bytes ? c->sb->shm_size_bytes : OCI_DEFAULT_SHM_SIZE));
                spec_mount_add(c, "/dev/shm", "tmpfs", "shm",
                               (const char *[]){"nosuid", "noexec", "nodev", "mode=1777", size, NULL});
        }
}

static void add_pod_files(struct spec_ctx *c) {
        static const char *const dest[] = {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"};
        const char *src[] = {c->sb->resolv_conf_path, c->sb->hosts_path, c->sb->hostname_path};
        const char *mode = c->sec->is_readonly_rootfs ? "ro" : "rw";
        for (size_t i = 0; i < 3; i++)
                if (!str_empty(src[i]))
                        spec_mount_add(c, dest[i], "bind", src[i], (const char *[]){"rbind", "rprivate", mode, NULL});
}

/* Lexically cleans an absolute path: no "//", ".", "..", or trailing "/". */
char *spec_clean_path(const char *p) {
        char *out = xmalloc(strlen(p) + 2);
        size_t n = 0;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t len = (size_t) (end - p);
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (n > 0 && out[--n] != '/')
                                ;
                } else if (len > 0 && !(len == 1 && p[0] == '.')) {
                        out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p = end;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';
        return out;
}

static size_t depth(const char *path) {
        size_t d = 0;
        for (; *path; path++)
                d += *path == '/';
        return d;
}

/* Stable order by depth: a parent is mounted before what goes inside it. */
static size_t *mount_order(const struct oci_mount *m, size_t n) {
        size_t *idx = xcalloc(n ? n : 1, sizeof(*idx));
        size_t *d = xcalloc(n ? n : 1, sizeof(*d));
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *p = spec_clean_path(m[i].container_path ? m[i].container_path : "");
                d[i] = strcmp(p, "/") == 0 ? 0 : depth(p);
        }
        for (size_t i = 0; i < n; i++) {
                size_t j = i;
                for (; j > 0 && d[idx[j - 1]] > d[i]; j--)
                        idx[j] = idx[j - 1];
                idx[j] = i;
        }
        free(d);
        return idx;
}

int spec_add_mounts(struct spec_ctx *c, struct cric_error **err) {
        add_defaults(c);
        add_shm(c);
        if (c->in) {
                add_pod_files(c);
                if (spec_add_default_mounts(c, err) < 0)
                        return -1;
                AUTOFREE size_t *order = mount_order(c->in->mounts, c->in->n_mounts);
                for (size_t i = 0; i < c->in->n_mounts; i++)
                        if (spec_add_bind(c, &c->in->mounts[order[i]], err) < 0)
                                return -1;
        }
        struct json_object *list = jx_array();
        for (size_t i = 0; i < c->n_mounts; i++) {
                struct json_object *m = jx_object();
                spec_set_str(m, "destination", c->mounts[i].destination);
                spec_set_str(m, "type", c->mounts[i].type);
                spec_set_str(m, "source", c->mounts[i].source);
                jx_add(m, "options", spec_str_array(c->mounts[i].options, strv_length(c->mounts[i].options)));
                jx_append(list, m);
        }
        jx_add(c->spec, "mounts", list);
        if (c->has_propagation_shared)
                spec_set_str(c->lnx, "rootfsPropagation", "rshared");
        else if (c->has_propagation_slave)
                spec_set_str(c->lnx, "rootfsPropagation", "rslave");
        return 0;
}

static struct json_object *path_list(char *const *given, size_t n, const char *const *defaults) {
        if (n > 0)
                return spec_str_array(given, n);
        return spec_str_array((char *const *) defaults, strv_length((char *const *) defaults));
}

/* A privileged container sees everything. Non-empty CRI lists replace the defaults. */
void spec_add_masked_paths(struct spec_ctx *c) {
        if (c->sec->is_privileged)
                return;
        jx_add(c->lnx, "maskedPaths", path_list(c->sec->masked_paths, c->sec->n_masked_paths, default_masked));
        jx_add(c->lnx, "readonlyPaths", path_list(c->sec->readonly_paths, c->sec->n_readonly_paths, default_readonly));
}
