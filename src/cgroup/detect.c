/* Which cgroup version the host runs, and where its hierarchies are mounted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MOUNTINFO_MAX (16u << 20)

const char *cgroup_mode_to_string(enum cgroup_mode mode) {
        switch (mode) {
        case CGROUP_V1: return "v1";
        case CGROUP_V2: return "v2";
        default: return "invalid";
        }
}

/* A v1 hierarchy: a cgroup (v1) file system, or in a fake tree a directory with the
 * v1-only "tasks" file. */
static bool is_v1_hierarchy(int dirfd, const char *name) {
        AUTOCLOSE int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        struct statfs sfs;
        if (fstatfs(fd, &sfs) == 0 && (unsigned long) sfs.f_type == CGROUP_SUPER_MAGIC)
                return true;
        return faccessat(fd, "tasks", F_OK, 0) == 0;
}

enum cgroup_mode cgroup_detect(const char *root) {
        if (!root)
                root = CGROUP_DEFAULT_ROOT;
        struct statfs sfs;
        if (statfs(root, &sfs) < 0)
                return CGROUP_MODE_INVALID;
        if ((unsigned long) sfs.f_type == CGROUP2_SUPER_MAGIC)
                return CGROUP_V2;
        if ((unsigned long) sfs.f_type == CGROUP_SUPER_MAGIC)
                return CGROUP_V1;
        /* A tmpfs holding v1 hierarchies (legacy, or hybrid with cgroup2 at unified/);
         * on other file systems this is a fake tree of a test. */
        AUTOFREE char *controllers = xasprintf("%s/cgroup.controllers", root);
        if (access(controllers, F_OK) == 0)
                return CGROUP_V2;
        AUTOCLOSEDIR DIR *d = opendir(root);
        if (!d)
                return CGROUP_MODE_INVALID;
        enum cgroup_mode mode = CGROUP_MODE_INVALID;
        struct dirent *de;
        while (mode == CGROUP_MODE_INVALID && (de = readdir(d))) {
                if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                if (is_v1_hierarchy(dirfd(d), de->d_name))
                        mode = CGROUP_V1;
        }
        return mode;
}

/* Undoes the octal escapes (\040 for a space) of mountinfo path fields. */
static char *unescape(const char *s) {
        char *out = xmalloc(strlen(s) + 1), *o = out;
        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 4;
                } else {
                        *o++ = *s++;
                }
        }
        *o = '\0';
        return out;
}

/* Super options of a v1 cgroup mount that are not controllers. */
static bool is_controller_option(const char *opt) {
        static const char *const flags[] = {"rw",  "ro",   "noprefix",    "xattr", "clone_children", "cpuset_v2_mode",
                                            "all", "none", "favordynmods"};
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (!strcmp(opt, flags[i]))
                        return false;
        return !strchr(opt, '=') || !strncmp(opt, "name=", 5);
}

static char **parse_controllers(const char *super_opts) {
        AUTOFREE char *copy = xstrdup(super_opts);
        char **v = NULL, *save = NULL;
        for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
                if (is_controller_option(opt))
                        strv_push(&v, opt);
        return v;
}

void cgroup_hier_clear(struct cgroup_hier *h) {
        h->controllers = strv_free(h->controllers);
        free(h->mount_point);
        free(h->mount_root);
        h->mount_point = h->mount_root = NULL;
}

/* Fields: id parent major:minor root mount-point options [optional...] - fstype source super-options */
int cgroup_mountinfo_parse_line(const char *line, struct cgroup_hier *ret, bool *ret_is_v2) {
        AUTOFREE char *copy = xstrdup(line);
        char *f[64], *save = NULL;
        size_t n = 0;
        for (char *t = strtok_r(copy, " \t\n", &save); t && n < 64; t = strtok_r(NULL, " \t\n", &save))
                f[n++] = t;
        size_t sep = 6;
        while (sep < n && strcmp(f[sep], "-"))
                sep++;
        if (sep + 3 >= n) /* no "-" separator, or fstype, source or super options missing */
                return -1;
        const char *fstype = f[sep + 1], *super = f[sep + 3];
        bool is_v2 = !strcmp(fstype, "cgroup2");
        if (!is_v2 && strcmp(fstype, "cgroup"))
                return 0;
        struct cgroup_hier h = {.mount_root = unescape(f[3]), .mount_point = unescape(f[4])};
        if (!is_v2) {
                h.controllers = parse_controllers(super);
                if (!h.controllers) { /* a v1 mount must name its controllers or name= */
                        cgroup_hier_clear(&h);
                        return -1;
                }
        }
        *ret = h;
        *ret_is_v2 = is_v2;
        return 1;
}

static bool is_under(const char *path, const char *root) {
        size_t n = strlen(root);
        if (!strcmp(root, "/"))
                return path[0] == '/';
        return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

static bool same_controllers(char **a, char **b) {
        if (strv_length(a) != strv_length(b))
                return false;
        for (size_t i = 0; a[i]; i++)
                if (!strv_contains(b, a[i]))
                        return false;
        return true;
}

/* Keeps h when it is the first mount of its hierarchy under root; otherwise clears it. */
static void mounts_take(struct cgroup_mounts *m, struct cgroup_hier *h, bool is_v2) {
        if (!is_under(h->mount_point, m->root)) {
                cgroup_hier_clear(h);
                return;
        }
        if (is_v2) {
                bool at_root = !strcmp(h->mount_point, m->root);
                if (m->unified && !at_root) {
                        cgroup_hier_clear(h);
                        return;
                }
                if (m->unified) {
                        cgroup_hier_clear(m->unified);
                        free(m->unified);
                }
                m->unified = xmalloc(sizeof(*m->unified));
                *m->unified = *h;
                if (at_root)
                        m->mode = CGROUP_V2;
                return;
        }
        for (size_t i = 0; i < m->n_v1; i++) {
                if (same_controllers(m->v1[i].controllers, h->controllers)) {
                        cgroup_hier_clear(h); /* a second (bind) mount of the same hierarchy */
                        return;
                }
        }
        m->v1 = xrealloc(m->v1, (m->n_v1 + 1) * sizeof(*m->v1));
        m->v1[m->n_v1++] = *h;
}

static int mounts_parse(struct cgroup_mounts *m, char *data, const char *mountinfo, struct cric_error **err) {
        char *save = NULL;
        unsigned lineno = 0;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                struct cgroup_hier h;
                bool is_v2;
                int r = cgroup_mountinfo_parse_line(line, &h, &is_v2);
                if (r < 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "%s:%u: malformed mountinfo line", mountinfo,
                                              lineno);
                if (r > 0)
                        mounts_take(m, &h, is_v2);
        }
        return 0;
}

static char *normalize_root(const char *root) {
        char *r = xstrdup(root ? root : CGROUP_DEFAULT_ROOT);
        size_t n = strlen(r);
        while (n > 1 && r[n - 1] == '/')
                r[--n] = '\0';
        return r;
}

int cgroup_mounts_load(const char *root, const char *mountinfo, struct cgroup_mounts **ret, struct cric_error **err) {
        if (!mountinfo)
                mountinfo = "/proc/self/mountinfo";
        AUTOFREE char *data = NULL;
        if (fs_read_file(mountinfo, MOUNTINFO_MAX, &data, NULL, err) < 0)
                return cric_error_prefix(err, "find cgroup mounts");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = xzalloc(sizeof(*m));
        m->root = normalize_root(root);
        m->mode = CGROUP_MODE_INVALID;
        if (mounts_parse(m, data, mountinfo, err) < 0)
                return cric_error_prefix(err, "find cgroup mounts");
        if (m->mode == CGROUP_V2) {
                for (size_t i = 0; i < m->n_v1; i++)
                        cgroup_hier_clear(&m->v1[i]);
                m->n_v1 = 0;
        } else if (m->n_v1 > 0) {
                m->mode = CGROUP_V1;
        } else {
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "no cgroup file system is mounted at %s", m->root);
        }
        *ret = STEAL_PTR(m);
        return 0;
}

enum cgroup_mode cgroup_mounts_mode(const struct cgroup_mounts *m) {
        return m ? m->mode : CGROUP_MODE_INVALID;
}

const char *cgroup_mounts_find(const struct cgroup_mounts *m, const char *controller) {
        if (m->mode == CGROUP_V2 || !*controller)
                return m->unified ? m->unified->mount_point : NULL;
        for (size_t i = 0; i < m->n_v1; i++)
                if (strv_contains(m->v1[i].controllers, controller))
                        return m->v1[i].mount_point;
        return NULL;
}

struct cgroup_mounts *cgroup_mounts_free(struct cgroup_mounts *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_v1; i++)
                cgroup_hier_clear(&m->v1[i]);
        free(m->v1);
        if (m->unified)
                cgroup_hier_clear(m->unified);
        free(m->unified);
        free(m->root);
        free(m);
        return NULL;
}

void cgroup_mounts_freep(struct cgroup_mounts **m) {
        if (m)
                *m = cgroup_mounts_free(*m);
}
