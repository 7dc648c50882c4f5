/* process.user: run_as_user / run_as_username / the image's USER resolved against the
 * container's own /etc/passwd and /etc/group. The files are opened with openat2
 * RESOLVE_IN_ROOT, so a symlink in the image can't point the daemon at a host file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define DB_MAX_SIZE (8u << 20)

/* One line of /etc/passwd or /etc/group, split on ':' in place. */
struct db_entry {
        char *name;
        uint32_t id;   /* uid, or gid of a group */
        uint32_t gid;  /* passwd: primary gid */
        char *members; /* group: "a,b,c" */
};

struct db {
        char *data;
        struct db_entry *e;
        size_t n;
};

static void db_clear(struct db *db) {
        free(db->data);
        free(db->e);
}

static bool parse_id(const char *s, uint32_t *ret) {
        if (!s || !isdigit((unsigned char) s[0]))
                return false;
        errno = 0;
        char *end = NULL;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return false;
        *ret = (uint32_t) v;
        return true;
}

/* passwd: name:x:uid:gid:...; group: name:x:gid:members. Malformed lines are skipped,
 * as libc does. */
static void db_parse(struct db *db, bool is_group) {
        size_t cap = 0;
        char *save = NULL;
        for (char *line = strtok_r(db->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t ll = strlen(line);
                if (ll > 0 && line[ll - 1] == '\r')
                        line[ll - 1] = '\0';
                char *f[7] = {0};
                size_t nf = 0;
                for (char *p = line; nf < 7;) {
                        f[nf++] = p;
                        char *colon = strchr(p, ':');
                        if (!colon)
                                break;
                        *colon = '\0';
                        p = colon + 1;
                }
                struct db_entry e = {.name = f[0], .members = is_group ? f[3] : NULL};
                if (nf < (is_group ? 3u : 4u) || !*f[0] || f[0][0] == '+' || f[0][0] == '-' || !parse_id(f[2], &e.id) ||
                    (!is_group && !parse_id(f[3], &e.gid)))
                        continue;
                db->e = xgrow(db->e, &cap, db->n + 1, sizeof(*db->e));
                db->e[db->n++] = e;
        }
}

static int db_load(int rootfd, const char *rel, bool is_group, struct db *db, struct cric_error **err) {
        if (rootfd < 0)
                return 0;
        if (fs_read_file_in_root(rootfd, rel, DB_MAX_SIZE, &db->data, err) < 0)
                return -1;
        if (db->data)
                db_parse(db, is_group);
        return 0;
}

static const struct db_entry *db_by_name(const struct db *db, const char *name) {
        for (size_t i = 0; i < db->n; i++)
                if (strcmp(db->e[i].name, name) == 0)
                        return &db->e[i];
        return NULL;
}

static const struct db_entry *db_by_id(const struct db *db, uint32_t id) {
        for (size_t i = 0; i < db->n; i++)
                if (db->e[i].id == id)
                        return &db->e[i];
        return NULL;
}

static bool is_member(const char *members, const char *name) {
        size_t nl = strlen(name);
        for (const char *p = members; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t l = comma ? (size_t) (comma - p) : strlen(p);
                if (l == nl && strncmp(p, name, l) == 0)
                        return true;
                p = comma ? comma + 1 : NULL;
        }
        return false;
}

static int check_id(const char *what, int64_t v, uint32_t *ret, struct cric_error **err) {
        if (v < 0 || v >= (int64_t) UINT32_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "%s %lld is out of range", what, (long long) v);
        *ret = (uint32_t) v;
        return 0;
}

struct resolve {
        struct db passwd, group;
        struct spec_user u;
        const char *name; /* user name for /etc/group memberships; NULL when unknown */
};

/* "name" or "uid": a name must exist; a uid needn't (gid 0 then). */
static int resolve_user(struct resolve *r, const char *user, struct cric_error **err) {
        const struct db_entry *e = NULL;
        if (parse_id(user, &r->u.uid)) {
                e = db_by_id(&r->passwd, r->u.uid);
        } else {
                e = db_by_name(&r->passwd, user);
                if (!e)
                        return cric_error_set(err, CRIC_E_INVALID, "user \"%s\" not found in the image's /etc/passwd",
                                              user);
                r->u.uid = e->id;
        }
        r->u.gid = e ? e->gid : 0;
        r->name = e ? e->name : NULL;
        return 0;
}

static int resolve_group(struct resolve *r, const char *group, struct cric_error **err) {
        if (parse_id(group, &r->u.gid))
                return 0;
        const struct db_entry *e = db_by_name(&r->group, group);
        if (!e)
                return cric_error_set(err, CRIC_E_INVALID, "group \"%s\" not found in the image's /etc/group", group);
        r->u.gid = e->id;
        return 0;
}

/* The image's USER: "", "user", "uid", "user:group", "uid:gid" and mixes. */
static int resolve_image_user(struct resolve *r, const char *spec, struct cric_error **err) {
        AUTOFREE char *user = xstrdup(str_empty(spec) ? "0" : spec);
        char *group = strchr(user, ':');
        if (group)
                *group++ = '\0';
        if (resolve_user(r, *user ? user : "0", err) < 0)
                return -1;
        return group && *group ? resolve_group(r, group, err) : 0;
}

static void add_gid(struct spec_user *u, size_t *cap, uint32_t gid) {
        for (size_t i = 0; i < u->n_gids; i++)
                if (u->gids[i] == gid)
                        return;
        u->gids = xgrow(u->gids, cap, u->n_gids + 1, sizeof(*u->gids));
        u->gids[u->n_gids++] = gid;
}

static int collect_gids(struct resolve *r, const struct oci_security_context *sec, struct cric_error **err) {
        size_t cap = 0;
        add_gid(&r->u, &cap, r->u.gid);
        if (sec->groups_policy != OCI_GROUPS_STRICT && r->name)
                for (size_t i = 0; i < r->group.n; i++)
                        if (is_member(r->group.e[i].members, r->name))
                                add_gid(&r->u, &cap, r->group.e[i].id);
        for (size_t i = 0; i < sec->n_supplemental_groups; i++) {
                uint32_t g = 0;
                if (check_id("supplemental group", sec->supplemental_groups[i], &g, err) < 0)
                        return -1;
                add_gid(&r->u, &cap, g);
        }
        return 0;
}

static int resolve_all(struct resolve *r, const struct oci_security_context *sec, const char *image_user,
                       struct cric_error **err) {
        if (sec->has_run_as_user) {
                uint32_t uid = 0;
                if (check_id("run_as_user", sec->run_as_user, &uid, err) < 0)
                        return -1;
                AUTOFREE char *s = xasprintf("%u", uid);
                if (resolve_user(r, s, err) < 0)
                        return -1;
        } else if (!str_empty(sec->run_as_username)) {
                if (resolve_user(r, sec->run_as_username, err) < 0)
                        return -1;
        } else if (resolve_image_user(r, image_user, err) < 0) {
                return -1;
        }
        if (sec->has_run_as_group && check_id("run_as_group", sec->run_as_group, &r->u.gid, err) < 0)
                return -1;
        return collect_gids(r, sec, err);
}

static int check_request(const struct oci_security_context *sec, struct cric_error **err) {
        if (sec->has_run_as_group && !sec->has_run_as_user && str_empty(sec->run_as_username))
                return cric_error_set(err, CRIC_E_INVALID, "run_as_group needs run_as_user or run_as_username");
        if (sec->has_run_as_user && !str_empty(sec->run_as_username))
                return cric_error_set(err, CRIC_E_INVALID, "run_as_user and run_as_username are mutually exclusive");
        return 0;
}

int spec_user_resolve(const char *rootfs, const struct oci_security_context *sec, const char *image_user,
                      struct spec_user *ret, struct cric_error **err) {
        if (check_request(sec, err) < 0)
                return -1;
        AUTOCLOSE int rootfd = -1;
        if (!str_empty(rootfs)) {
                rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open root file system %s", rootfs);
        }
        struct resolve r = {0};
        int rc = db_load(rootfd, "etc/passwd", false, &r.passwd, err);
        if (rc == 0)
                rc = db_load(rootfd, "etc/group", true, &r.group, err);
        if (rc == 0)
                rc = resolve_all(&r, sec, image_user, err);
        db_clear(&r.passwd);
        db_clear(&r.group);
        if (rc < 0) {
                free(r.u.gids);
                return -1;
        }
        *ret = r.u;
        return 0;
}

/* The infra process runs as the pause image's user unless the pod says otherwise. */
#define INFRA_USER "65535:65535"

int spec_add_user(struct spec_ctx *c, struct cric_error **err) {
        /* The infra user is numeric: no need to look into its rootfs. */
        const char *rootfs = c->in ? c->in->rootfs : NULL;
        const char *image_user = c->in ? (c->in->image ? c->in->image->user : NULL) : INFRA_USER;
        struct spec_user u;
        if (spec_user_resolve(rootfs, c->sec, image_user, &u, err) < 0)
                return cric_error_prefix(err, "%s", c->what);
        struct json_object *user = spec_obj(c->process, "user");
        jx_add(user, "uid", jx_int64(u.uid));
        jx_add(user, "gid", jx_int64(u.gid));
        struct json_object *gids = jx_array();
        for (size_t i = 0; i < u.n_gids; i++)
                jx_append(gids, jx_int64(u.gids[i]));
        jx_add(user, "additionalGids", gids);
        free(u.gids);
        return 0;
}
