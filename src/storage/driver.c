/* Driver selection and options. */
#include "storage/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/btrfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define RECORD_NAME "storage-driver"

static const char *const driver_names[STORAGE_DRIVER_MAX] = {
        [STORAGE_OVERLAY] = "overlay",
        [STORAGE_VFS] = "vfs",
        [STORAGE_BTRFS] = "btrfs",
};

const char *storage_driver_name(enum storage_driver d) {
        return d >= 0 && d < STORAGE_DRIVER_MAX ? driver_names[d] : "unknown";
}

enum storage_driver storage_driver_from_name(const char *name) {
        if (!strcmp(name, "overlay2"))
                return STORAGE_OVERLAY;
        for (int d = 0; d < STORAGE_DRIVER_MAX; d++)
                if (!strcmp(name, driver_names[d]))
                        return (enum storage_driver) d;
        return STORAGE_DRIVER_INVALID;
}

/* Mounts a throw-away overlay under tmp/ to learn whether overlay works on this
 * file system (it does not on top of another overlay without index support, or on
 * some network file systems). */
static bool overlay_works(const char *tmp_dir) {
        AUTOFREE char *base = xasprintf("%s/overlay-check-XXXXXX", tmp_dir);
        if (!mkdtemp(base))
                return false;
        const char *sub[] = {"lower", "upper", "work", "merged"};
        bool ok = true;
        for (size_t i = 0; ok && i < 4; i++) {
                AUTOFREE char *p = xasprintf("%s/%s", base, sub[i]);
                ok = mkdir(p, 0755) == 0;
        }
        AUTOFREE char *merged = xasprintf("%s/merged", base);
        AUTOFREE char *opts = xasprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", base, base, base);
        if (ok && mount("overlay", merged, "overlay", 0, opts) == 0)
                umount2(merged, MNT_DETACH);
        else
                ok = false;
        rm_rf(base, NULL);
        return ok;
}

static bool root_is_btrfs(const char *root) {
        AUTOCLOSE int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 && btrfs_is_fs(fd);
}

/* Whether dir holds anything (a missing dir holds nothing). */
static bool has_entries(const char *dir) {
        CLEANUP(strv_freep) char **names = NULL;
        return fs_list_dir(dir, NULL, false, &names, NULL) == 0 && names[0];
}

/* The driver recorded in <root>/storage-driver: 1 and *ret, 0 when none is. */
static int read_record(const char *path, enum storage_driver *ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        int r = fs_read_file_optional(path, 64, &data, err);
        if (r <= 0)
                return r;
        data[strcspn(data, "\n")] = '\0';
        *ret = storage_driver_from_name(data);
        if (*ret == STORAGE_DRIVER_INVALID)
                return cric_error_set(err, CRIC_E_INVALID, "%s names an unknown storage driver \"%s\"", path, data);
        return 1;
}

int storage_driver_select(const char *root, const char *tmp_dir, const char *name, enum storage_driver *ret,
                          struct cric_error **err) {
        AUTOFREE char *record = xasprintf("%s/" RECORD_NAME, root);
        enum storage_driver recorded = STORAGE_DRIVER_INVALID, d;
        int has_record = read_record(record, &recorded, err);
        if (has_record < 0)
                return -1;
        bool is_auto = !name || !*name;
        AUTOFREE char *layers = xasprintf("%s/layers", root);
        AUTOFREE char *ctrs = xasprintf("%s/containers", root);
        bool is_used = has_entries(layers) || has_entries(ctrs);
        bool on_btrfs = root_is_btrfs(root);
        if (is_auto && has_record)
                d = recorded;
        else if (is_auto && is_used)
                d = STORAGE_OVERLAY; /* made before stores recorded their driver: by the default of then */
        else if (is_auto)
                d = on_btrfs ? STORAGE_BTRFS : STORAGE_OVERLAY;
        else if ((d = storage_driver_from_name(name)) == STORAGE_DRIVER_INVALID)
                return cric_error_set(err, CRIC_E_INVALID, "storage driver %s is not supported (overlay, vfs, btrfs)",
                                      name);
        if (d == STORAGE_BTRFS && !on_btrfs)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "storage driver btrfs: %s is not on a btrfs file system (%s)", root,
                                      has_record && is_auto ? "recorded in " RECORD_NAME : "set by storage_driver");
        if (d == STORAGE_OVERLAY && !overlay_works(tmp_dir)) {
                log_warn("storage: overlay cannot mount under %s, falling back to the vfs driver", root);
                d = STORAGE_VFS;
        }
        if (has_record && d != recorded) {
                if (is_used)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "storage at %s holds layers of the %s driver: the %s driver cannot "
                                              "use them (set storage_driver = \"%s\", or remove the images and "
                                              "containers first)",
                                              root, storage_driver_name(recorded), storage_driver_name(d),
                                              storage_driver_name(recorded));
        }
        if (!has_record || d != recorded) {
                const char *n = storage_driver_name(d);
                AUTOFREE char *line = xasprintf("%s\n", n);
                if (fs_write_file_atomic(record, line, strlen(line), 0600, err) < 0)
                        return cric_error_prefix(err, "record the storage driver");
        }
        *ret = d;
        return 0;
}

uint64_t storage_parse_size(const char *s) {
        if (!s || !isdigit((unsigned char) *s))
                return 0;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || v == 0)
                return 0;
        static const char units[] = "kmgtp";
        uint64_t mult = 1;
        if (*end) {
                const char *u = strchr(units, tolower((unsigned char) *end));
                if (!u)
                        return 0;
                for (const char *p = units; p <= u; p++)
                        mult *= 1024;
                end++;
                if (*end && strcasecmp(end, "b") && strcasecmp(end, "ib"))
                        return 0;
        }
        return v > UINT64_MAX / mult ? 0 : (uint64_t) v * mult;
}

int storage_opts_parse(char *const *options, enum storage_driver d, struct storage_opts *ret, struct cric_error **err) {
        *ret = (struct storage_opts){0};
        for (size_t i = 0; options && options[i]; i++) {
                const char *opt = options[i], *eq = strchr(opt, '='), *dot = strchr(opt, '.');
                if (!eq || !dot || dot > eq)
                        return cric_error_set(err, CRIC_E_INVALID, "storage option \"%s\": not <driver>.<key>=<value>",
                                              opt);
                AUTOFREE char *driver = xstrndup(opt, (size_t) (dot - opt));
                AUTOFREE char *key = xstrndup(dot + 1, (size_t) (eq - dot - 1));
                enum storage_driver od = storage_driver_from_name(driver);
                if (od != d) {
                        log_info("storage: option \"%s\" is for the %s driver, not %s: ignored", opt, driver,
                                 storage_driver_name(d));
                        continue;
                }
                if (d != STORAGE_BTRFS) {
                        log_warn("storage: option \"%s\" is not supported by the %s driver: ignored", opt, driver);
                        continue;
                }
                if (!strcmp(key, "size")) {
                        ret->btrfs_size = storage_parse_size(eq + 1);
                        if (!ret->btrfs_size)
                                return cric_error_set(err, CRIC_E_INVALID,
                                                      "storage option \"%s\": \"%s\" is not a size", opt, eq + 1);
                        continue;
                }
                return cric_error_set(err, CRIC_E_INVALID,
                                      "storage option \"%s\": unknown option of the btrfs driver (btrfs.size)", opt);
        }
        return 0;
}
