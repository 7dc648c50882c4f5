/* The CRI's bind mounts: host paths resolved (symlinks followed, a missing one created
 * as a directory, as the kubelet's DirectoryOrCreate and containerd do), propagation
 * checked against the host mount the path lives on, options in the OCI form. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MOUNTINFO_MAX (64u << 20)

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
        char *out = s;
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *out++ = *s;
                }
        }
        *out = '\0';
}

/* Length of mp when it is path or a parent directory of it, else 0. */
static size_t prefix_len(const char *mp, const char *path) {
        size_t l = strlen(mp);
        if (strcmp(mp, "/") == 0)
                return 1;
        if (strncmp(mp, path, l) != 0 || (path[l] != '\0' && path[l] != '/'))
                return 0;
        return l;
}

struct mount_info {
        char *mountpoint;
        size_t len;
        bool is_shared, is_slave;
};

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": field 5 is the
 * mount point, then optional fields up to "-". The last, longest match is the mount
 * the path lives on (later mounts stack over earlier ones). */
static void match_line(char *line, const char *path, struct mount_info *best) {
        char *save = NULL, *f[6] = {0};
        size_t nf = 0;
        for (char *t = strtok_r(line, " ", &save); t; t = nf < 6 ? strtok_r(NULL, " ", &save) : NULL)
                f[nf++] = t;
        if (nf < 6)
                return;
        unescape(f[4]);
        size_t l = prefix_len(f[4], path);
        if (l == 0 || l < best->len)
                return;
        free(best->mountpoint);
        *best = (struct mount_info){.mountpoint = xstrdup(f[4]), .len = l};
        for (char *t = strtok_r(NULL, " ", &save); t && strcmp(t, "-") != 0; t = strtok_r(NULL, " ", &save)) {
                best->is_shared |= strncmp(t, "shared:", 7) == 0;
                best->is_slave |= strncmp(t, "master:", 7) == 0;
        }
}

int spec_find_mount(const char *mountinfo, const char *path, char **ret_mountpoint, bool *ret_shared, bool *ret_slave,
                    struct cric_error **err) {
        AUTOFREE char *data = NULL;
        if (fs_read_file(mountinfo, MOUNTINFO_MAX, &data, NULL, err) < 0)
                return cric_error_prefix(err, "read mount table");
        struct mount_info best = {0};
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                match_line(line, path, &best);
        if (!best.mountpoint)
                return cric_error_set(err, CRIC_E_INTERNAL, "no mount holds %s in %s", path, mountinfo);
        *ret_mountpoint = best.mountpoint;
        *ret_shared = best.is_shared;
        *ret_slave = best.is_slave;
        return 0;
}

/* CRI-O's checks: rshared needs a shared host mount, rslave a shared or slave one. */
static int check_propagation(struct spec_ctx *c, const char *source, enum oci_propagation p, struct cric_error **err) {
        if (p == OCI_PROPAGATION_PRIVATE)
                return 0;
        AUTOFREE char *mp = NULL;
        bool shared = false, slave = false;
        const char *mountinfo = c->host->mountinfo_path ? c->host->mountinfo_path : "/proc/self/mountinfo";
        if (spec_find_mount(mountinfo, source, &mp, &shared, &slave, err) < 0)
                return -1;
        if (p == OCI_PROPAGATION_BIDIRECTIONAL && !shared)
                return cric_error_set(err, CRIC_E_INVALID, "path %s is mounted on %s but it is not a shared mount",
                                      source, mp);
        if (p == OCI_PROPAGATION_HOST_TO_CONTAINER && !shared && !slave)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "path %s is mounted on %s but it is not a shared or slave mount", source, mp);
        if (p == OCI_PROPAGATION_BIDIRECTIONAL)
                c->has_propagation_shared = true;
        else
                c->has_propagation_slave = true;
        return 0;
}

static int resolve_source(const struct spec_ctx *c, const char *host_path, char **ret, struct cric_error **err) {
        struct stat st;
        if (stat(host_path, &st) < 0) {
                if (errno != ENOENT)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", host_path);
                if (spec_rejects_absent(c, host_path))
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "source %s is absent and listed in absent_mount_sources_to_reject",
                                              host_path);
                if (fs_mkdir_p(host_path, 0755, err) < 0)
                        return cric_error_prefix(err, "create missing host path");
        }
        char *real = realpath(host_path, NULL);
        if (!real)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "resolve %s", host_path);
        *ret = real;
        return 0;
}

static int check_request(const struct spec_ctx *c, const struct oci_mount *m, struct cric_error **err) {
        if (str_empty(m->container_path) || m->container_path[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount path \"%s\" is not absolute", c->what,
                                      m->container_path ? m->container_path : "");
        if (str_empty(m->host_path) || m->host_path[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: host path \"%s\" of mount %s is not absolute", c->what,
                                      m->host_path ? m->host_path : "", m->container_path);
        if (m->propagation < 0 || m->propagation >= OCI_PROPAGATION_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %s: unknown propagation %d", c->what,
                                      m->container_path, m->propagation);
        if (!m->is_recursive_read_only)
                return 0;
        if (!m->is_readonly || m->propagation != OCI_PROPAGATION_PRIVATE)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: mount %s: recursive read-only needs readonly and private propagation",
                                      c->what, m->container_path);
        if (!c->host->supports_recursive_read_only)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: mount %s: recursive read-only mounts are not supported by the runtime",
                                      c->what, m->container_path);
        return 0;
}

int spec_add_bind(struct spec_ctx *c, const struct oci_mount *m, struct cric_error **err) {
        static const char *const propagation[] = {"rprivate", "rslave", "rshared"};
        if (check_request(c, m, err) < 0)
                return -1;
        AUTOFREE char *dest = spec_clean_path(m->container_path);
        AUTOFREE char *source = NULL;
        if (resolve_source(c, m->host_path, &source, err) < 0 || check_propagation(c, source, m->propagation, err) < 0)
                return cric_error_prefix(err, "%s: mount %s", c->what, dest);
        const char *opts[5] = {"rbind", propagation[m->propagation], m->is_readonly ? "ro" : "rw", NULL, NULL};
        if (m->is_recursive_read_only)
                opts[3] = "rro";
        spec_mount_add(c, dest, "bind", source, opts);
        return 0;
}
