/* linux.devices and the device cgroup rules: the CRI's devices (a directory brings every
 * device node under it), the node's additional_devices, the devices of the
 * io.kubernetes.cri-o.Devices annotation (when the handler allows it, from
 * allowed_devices only), and for a privileged container every device of the host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define WALK_MAX_DEPTH 8

struct devices {
        struct spec_ctx *c;
        struct json_object *list;  /* linux.devices */
        struct json_object *rules; /* linux.resources.devices */
        bool owner_from_sec;       /* device_ownership_from_security_context applies */
};

#define DEVICES_ANNOTATION "io.kubernetes.cri-o.Devices"

static bool has_path(struct json_object *list, const char *path) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                struct json_object *p = NULL;
                if (json_object_object_get_ex(json_object_array_get_idx(list, i), "path", &p) &&
                    strcmp(json_object_get_string(p), path) == 0)
                        return true;
        }
        return false;
}

static void add_device(struct devices *d, const char *path, const struct stat *st, const char *access) {
        if (has_path(d->list, path))
                return;
        const char *type = S_ISBLK(st->st_mode) ? "b" : "c";
        struct json_object *dev = jx_object();
        spec_set_str(dev, "path", path);
        spec_set_str(dev, "type", type);
        jx_add(dev, "major", jx_int64(major(st->st_rdev)));
        jx_add(dev, "minor", jx_int64(minor(st->st_rdev)));
        jx_add(dev, "fileMode", jx_int64(st->st_mode & 07777));
        const struct oci_security_context *sec = d->c->sec;
        bool own = d->owner_from_sec && d->c->node->device_ownership_from_security_context;
        jx_add(dev, "uid", jx_int64(own && sec->has_run_as_user ? sec->run_as_user : (int64_t) st->st_uid));
        jx_add(dev, "gid", jx_int64(own && sec->has_run_as_group ? sec->run_as_group : (int64_t) st->st_gid));
        jx_append(d->list, dev);
        if (!access)
                return;
        struct json_object *rule = jx_object();
        jx_add(rule, "allow", jx_bool(true));
        spec_set_str(rule, "type", type);
        jx_add(rule, "major", jx_int64(major(st->st_rdev)));
        jx_add(rule, "minor", jx_int64(minor(st->st_rdev)));
        spec_set_str(rule, "access", access);
        jx_append(d->rules, rule);
}

/* What runc and containerd leave out of a privileged container's /dev: the runtime
 * makes its own pts, shm, mqueue, console and ptmx. */
static bool skip_host_entry(const char *name, bool is_dir) {
        static const char *const dirs[] = {"pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev"};
        if (!is_dir)
                return strcmp(name, "console") == 0 || strcmp(name, "ptmx") == 0;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                if (strcmp(name, dirs[i]) == 0)
                        return true;
        return false;
}

/* Adds the device nodes under host_dir (symlinks not followed) as ctr_dir/... */
static int walk(struct devices *d, const char *host_dir, const char *ctr_dir, const char *access, bool is_host,
                int level, struct cric_error **err) {
        if (level > WALK_MAX_DEPTH)
                return 0;
        AUTOCLOSEDIR DIR *dir = opendir(host_dir);
        if (!dir)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open device directory %s", host_dir);
        int r = 0;
        for (struct dirent *e = readdir(dir); e && r == 0; e = readdir(dir)) {
                struct stat st;
                if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                        continue;
                if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* gone meanwhile */
                if (is_host && skip_host_entry(e->d_name, S_ISDIR(st.st_mode)))
                        continue;
                AUTOFREE char *h = xasprintf("%s/%s", host_dir, e->d_name);
                AUTOFREE char *ct = xasprintf("%s/%s", strcmp(ctr_dir, "/") == 0 ? "" : ctr_dir, e->d_name);
                if (S_ISDIR(st.st_mode))
                        r = walk(d, h, ct, access, is_host, level + 1, err);
                else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
                        add_device(d, ct, &st, access);
        }
        return r;
}

static int check_access(const struct spec_ctx *c, const char *p, struct cric_error **err) {
        if (strspn(p, "rwm") != strlen(p))
                return cric_error_set(err, CRIC_E_INVALID, "%s: device permissions \"%s\" are not a mix of r, w and m",
                                      c->what, p);
        return 0;
}

static int add_cri_device(struct devices *d, const struct oci_device *dev, struct cric_error **err) {
        struct spec_ctx *c = d->c;
        const char *access = str_empty(dev->permissions) ? "rwm" : dev->permissions;
        const char *ctr = str_empty(dev->container_path) ? dev->host_path : dev->container_path;
        if (str_empty(dev->host_path) || dev->host_path[0] != '/' || str_empty(ctr) || ctr[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: device paths \"%s\" -> \"%s\" must be absolute",
                                      c->what, dev->host_path ? dev->host_path : "", ctr ? ctr : "");
        if (check_access(c, access, err) < 0)
                return -1;
        struct stat st;
        if (stat(dev->host_path, &st) < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                        "%s: device %s", c->what, dev->host_path);
        AUTOFREE char *dest = spec_clean_path(ctr);
        if (S_ISDIR(st.st_mode))
                return walk(d, dev->host_path, dest, access, false, 0, err);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s is not a device", c->what, dev->host_path);
        add_device(d, dest, &st, access);
        return 0;
}

static void add_rule_all(struct json_object *rules, bool allow) {
        struct json_object *rule = jx_object();
        jx_add(rule, "allow", jx_bool(allow));
        spec_set_str(rule, "access", "rwm");
        jx_append(rules, rule);
}

/* "host[:ctr[:perm]]", as CRI-O's additional_devices and Devices annotation spell one;
 * false when malformed (paths not absolute, permissions not of r, w, m). */
static bool parse_device(char *s, struct oci_device *ret) {
        char *ctr = strchr(s, ':'), *perm = NULL;
        if (ctr) {
                *ctr++ = '\0';
                perm = strchr(ctr, ':');
                if (perm)
                        *perm++ = '\0';
        }
        *ret = (struct oci_device){.host_path = s, .container_path = ctr, .permissions = perm};
        return s[0] == '/' && (str_empty(ctr) || ctr[0] == '/') && (!perm || strspn(perm, "rwm") == strlen(perm));
}

int spec_devices_check(char *const *additional, struct cric_error **err) {
        for (; additional && *additional; additional++) {
                AUTOFREE char *s = xstrdup(*additional);
                struct oci_device dev;
                if (!parse_device(s, &dev))
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "additional_devices: \"%s\" is not /dev/host[:/dev/ctr[:rwm]]",
                                              *additional);
                struct stat st;
                if (stat(dev.host_path, &st) < 0)
                        return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                                "additional_devices: device %s", dev.host_path);
        }
        return 0;
}

bool spec_annotation_allowed(const struct spec_ctx *c, const char *key) {
        for (char *const *p = c->node->allowed_annotations; p && *p; p++)
                if (**p && !strncmp(key, *p, strlen(*p)))
                        return true;
        return false;
}

static const char *annotation(const struct spec_ctx *c, const char *key) {
        for (size_t i = 0; i < c->in->n_annotations; i++)
                if (c->in->annotations[i].key && !strcmp(c->in->annotations[i].key, key))
                        return c->in->annotations[i].value;
        for (size_t i = 0; i < c->sb->n_annotations; i++)
                if (c->sb->annotations[i].key && !strcmp(c->sb->annotations[i].key, key))
                        return c->sb->annotations[i].value;
        return NULL;
}

static int add_additional_devices(struct devices *d, struct cric_error **err) {
        for (char *const *v = d->c->node->additional_devices; v && *v; v++) {
                AUTOFREE char *s = xstrdup(*v);
                struct oci_device dev;
                if (!parse_device(s, &dev))
                        return cric_error_set(err, CRIC_E_INVALID, "additional_devices: \"%s\" is not valid", *v);
                if (add_cri_device(d, &dev, err) < 0)
                        return cric_error_prefix(err, "additional_devices");
        }
        return 0;
}

/* The Devices annotation: "host[:ctr[:perm]],..." each host device in allowed_devices. */
static int add_annotation_devices(struct devices *d, struct cric_error **err) {
        struct spec_ctx *c = d->c;
        const char *value = annotation(c, DEVICES_ANNOTATION);
        if (str_empty(value))
                return 0;
        if (!spec_annotation_allowed(c, DEVICES_ANNOTATION)) {
                log_debug("%s: annotation %s ignored: not in the runtime handler's allowed_annotations", c->what,
                          DEVICES_ANNOTATION);
                return 0;
        }
        CLEANUP(strv_freep) char **list = strv_split(value, ",");
        for (char **v = list; v && *v; v++) {
                if (!**v)
                        continue;
                AUTOFREE char *s = xstrdup(*v);
                struct oci_device dev;
                if (!parse_device(s, &dev))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: %s: \"%s\" is not /dev/host[:/dev/ctr[:rwm]]",
                                              c->what, DEVICES_ANNOTATION, *v);
                AUTOFREE char *host = spec_clean_path(dev.host_path);
                if (!strv_contains(c->node->allowed_devices, host))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: %s: device %s is not in allowed_devices",
                                              c->what, DEVICES_ANNOTATION, host);
                if (add_cri_device(d, &dev, err) < 0)
                        return -1;
        }
        return 0;
}

int spec_add_devices(struct spec_ctx *c, struct cric_error **err) {
        bool privileged = c->sec->is_privileged;
        struct devices d = {.c = c, .list = jx_array(), .rules = jx_array()};
        jx_add(c->lnx, "devices", d.list);
        jx_add(spec_obj(c->lnx, "resources"), "devices", d.rules);
        /* Everything is denied, then each device allowed; a privileged container may use all. */
        add_rule_all(d.rules, privileged);
        if (privileged) {
                const char *dev = c->host->dev_path ? c->host->dev_path : "/dev";
                if (walk(&d, dev, "/dev", NULL, true, 0, err) < 0)
                        return cric_error_prefix(err, "%s: host devices", c->what);
        }
        if (!c->in)
                return 0;
        d.owner_from_sec = true;
        for (size_t i = 0; i < c->in->n_devices; i++)
                if (add_cri_device(&d, &c->in->devices[i], err) < 0)
                        return -1;
        if (add_additional_devices(&d, err) < 0 || add_annotation_devices(&d, err) < 0)
                return -1;
        return 0;
}
