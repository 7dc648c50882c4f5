/* The node settings every container gets (struct oci_node, CRI-O's keys): ulimits as
 * process.rlimits, the pids limit, the binds of default_mounts_file, the absent mount
 * sources refused; and their check at start. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MOUNTS_FILE_MAX (1u << 20)

/* ---- default_ulimits ---- */

static const char *const ulimit_names[] = {
        "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
        "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

struct ulimit {
        const char *name; /* one of ulimit_names */
        uint64_t soft, hard;
};

static int parse_u64(const char *s, size_t len, uint64_t *ret) {
        if (len == 0 || len > 20)
                return -1;
        char buf[21];
        memcpy(buf, s, len);
        buf[len] = '\0';
        for (size_t i = 0; i < len; i++)
                if (buf[i] < '0' || buf[i] > '9')
                        return -1;
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, 10);
        if (errno)
                return -1;
        *ret = v;
        return 0;
}

/* "nofile=1024:2048" (soft:hard) or "nproc=512" (both). */
static int ulimit_parse(const char *s, struct ulimit *ret, struct cric_error **err) {
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq)
                return cric_error_set(err, CRIC_E_INVALID, "default_ulimits: \"%s\" is not name=soft:hard", s ? s : "");
        ret->name = NULL;
        for (size_t i = 0; i < sizeof(ulimit_names) / sizeof(ulimit_names[0]); i++)
                if (strlen(ulimit_names[i]) == (size_t) (eq - s) && !strncmp(s, ulimit_names[i], (size_t) (eq - s)))
                        ret->name = ulimit_names[i];
        if (!ret->name)
                return cric_error_set(err, CRIC_E_INVALID, "default_ulimits: unknown ulimit \"%.*s\"", (int) (eq - s),
                                      s);
        const char *v = eq + 1, *colon = strchr(v, ':');
        int r = colon ? parse_u64(v, (size_t) (colon - v), &ret->soft) |
                                parse_u64(colon + 1, strlen(colon + 1), &ret->hard)
                      : parse_u64(v, strlen(v), &ret->soft);
        if (!colon)
                ret->hard = ret->soft;
        if (r < 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "default_ulimits: \"%s\": the value is not soft:hard or a number", s);
        if (ret->soft > ret->hard)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "default_ulimits: \"%s\": the soft limit is above the hard one", s);
        return 0;
}

int spec_add_rlimits(struct spec_ctx *c, struct cric_error **err) {
        char *const *v = c->node->default_ulimits;
        if (!c->in || !v || !*v)
                return 0;
        struct json_object *list = jx_array();
        jx_add(c->process, "rlimits", list);
        for (; *v; v++) {
                struct ulimit u;
                if (ulimit_parse(*v, &u, err) < 0)
                        return -1;
                char type[32] = "RLIMIT_";
                for (size_t i = 0; u.name[i] && i + 8 < sizeof(type); i++)
                        type[7 + i] = (char) (u.name[i] - 'a' + 'A');
                struct json_object *o = jx_object();
                spec_set_str(o, "type", type);
                jx_add(o, "hard", jx_uint64(u.hard));
                jx_add(o, "soft", jx_uint64(u.soft));
                jx_append(list, o);
        }
        return 0;
}

/* ---- pids_limit ---- */

void spec_add_pids_limit(struct spec_ctx *c, struct json_object *resources) {
        if (!c->in || c->node->pids_limit <= 0)
                return;
        for (size_t i = 0; i < c->in->resources.n_unified; i++)
                if (c->in->resources.unified[i].key && !strcmp(c->in->resources.unified[i].key, "pids.max"))
                        return; /* the container's own limit wins */
        jx_add(spec_obj(resources, "pids"), "limit", jx_int64(c->node->pids_limit));
}

/* ---- default_mounts_file ---- */

/* The file's "/src:/dst" lines (a lone "/path" is both) as pairs src, dst, ...; blank
 * lines and "#" comments skipped. 1 when read, 0 when the file is missing. */
static int mounts_file_read(const char *path, char ***ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        int r = fs_read_file_optional(path, MOUNTS_FILE_MAX, &data, err);
        if (r <= 0)
                return r < 0 ? cric_error_prefix(err, "default_mounts_file") : 0;
        char **pairs = NULL;
        unsigned lineno = 0;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                line += strspn(line, " \t");
                size_t len = strlen(line);
                while (len > 0 && strchr(" \t\r", line[len - 1]))
                        line[--len] = '\0';
                if (!*line || *line == '#')
                        continue;
                char *colon = strchr(line, ':');
                if (colon)
                        *colon = '\0';
                const char *dst = colon ? colon + 1 : line;
                if (line[0] != '/' || dst[0] != '/') {
                        strv_free(pairs);
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "default_mounts_file %s: line %u: \"%s%s%s\" is not /src:/dst", path,
                                              lineno, line, colon ? ":" : "", colon ? dst : "");
                }
                strv_push(&pairs, line);
                strv_push(&pairs, dst);
        }
        *ret = pairs;
        return 1;
}

static bool cri_mounts_to(const struct spec_ctx *c, const char *dest) {
        for (size_t i = 0; i < c->in->n_mounts; i++) {
                if (str_empty(c->in->mounts[i].container_path))
                        continue;
                AUTOFREE char *p = spec_clean_path(c->in->mounts[i].container_path);
                if (!strcmp(p, dest))
                        return true;
        }
        return false;
}

int spec_add_default_mounts(struct spec_ctx *c, struct cric_error **err) {
        if (!c->in || str_empty(c->node->default_mounts_file))
                return 0;
        CLEANUP(strv_freep) char **pairs = NULL;
        int r = mounts_file_read(c->node->default_mounts_file, &pairs, err);
        if (r < 0)
                return cric_error_prefix(err, "%s", c->what);
        if (r == 0)
                log_warn("%s: default_mounts_file %s is gone, no default mounts", c->what,
                         c->node->default_mounts_file);
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                AUTOFREE char *dest = spec_clean_path(pairs[i + 1]);
                if (cri_mounts_to(c, dest))
                        continue; /* the container's own mount wins */
                AUTOFREE char *source = realpath(pairs[i], NULL);
                if (!source) {
                        log_warn("%s: default mount %s: source %s: %s, left out", c->what, dest, pairs[i],
                                 strerror(errno));
                        continue;
                }
                spec_mount_add(c, dest, "bind", source, (const char *[]){"rbind", "rprivate", "ro", NULL});
        }
        return 0;
}

/* ---- absent_mount_sources_to_reject ---- */

bool spec_rejects_absent(const struct spec_ctx *c, const char *host_path) {
        char *const *v = c->node->absent_mount_sources_to_reject;
        if (!v || !*v)
                return false;
        AUTOFREE char *p = spec_clean_path(host_path);
        for (; *v; v++) {
                AUTOFREE char *r = spec_clean_path(*v);
                if (!strcmp(p, r))
                        return true;
        }
        return false;
}

/* ---- the check at start ---- */

int oci_node_check(const struct oci_node *n, struct cric_error **err) {
        if (n->default_capabilities && spec_caps_check(n->default_capabilities, err) < 0)
                return -1;
        for (char *const *v = n->default_sysctls; v && *v; v++)
                if (spec_sysctl_default_check(*v, err) < 0)
                        return -1;
        for (char *const *v = n->default_ulimits; v && *v; v++) {
                struct ulimit u;
                if (ulimit_parse(*v, &u, err) < 0)
                        return -1;
        }
        for (char *const *v = n->absent_mount_sources_to_reject; v && *v; v++)
                if ((*v)[0] != '/')
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "absent_mount_sources_to_reject: \"%s\" is not an absolute path", *v);
        if (spec_devices_check(n->additional_devices, err) < 0)
                return -1;
        if (!str_empty(n->default_mounts_file)) {
                CLEANUP(strv_freep) char **pairs = NULL;
                int r = mounts_file_read(n->default_mounts_file, &pairs, err);
                if (r < 0)
                        return -1;
                if (r == 0)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "default_mounts_file %s not found",
                                              n->default_mounts_file);
        }
        if (!str_empty(n->seccomp_profile)) {
                if (n->seccomp_profile[0] != '/')
                        return cric_error_set(err, CRIC_E_INVALID, "seccomp_profile \"%s\" is not an absolute path",
                                              n->seccomp_profile);
                AUTOJSON struct json_object *profile = NULL;
                if (spec_seccomp_load(n->seccomp_profile, &profile, err) < 0)
                        return cric_error_prefix(err, "seccomp_profile");
        }
        return 0;
}
