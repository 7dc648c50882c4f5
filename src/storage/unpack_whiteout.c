/* OCI whiteouts. ".wh.<name>" deletes <name> from the layers below; ".wh..wh..opq"
 * hides everything below in its directory. For overlayfs they become what overlayfs
 * understands (a 0/0 char device, trusted.overlay.opaque=y); for the vfs driver,
 * whose directory already holds the parent layers, they are carried out in place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/unpack_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define WH_PREFIX      ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE      ".wh..wh..opq"

static const char *last_component(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

bool unpack_is_whiteout(const char *path) {
        return !strncmp(last_component(path), WH_PREFIX, strlen(WH_PREFIX));
}

struct name_list {
        char **names;
        size_t len, cap;
};

static void name_list_clear(struct name_list *l) {
        for (size_t i = 0; i < l->len; i++)
                free(l->names[i]);
        free(l->names);
        *l = (struct name_list){0};
}

/* Names in the directory dfd (without "." and ".."), read up front so that the
 * caller can remove entries without disturbing the iteration. */
static int list_dir(struct unpack_ctx *ctx, int dfd, struct name_list *out, struct cric_error **err) {
        AUTOCLOSE int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open directory");
        AUTOCLOSEDIR DIR *d = fdopendir_take(&fd);
        if (!d)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open directory");
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                out->names = xgrow(out->names, &out->cap, out->len + 1, sizeof(*out->names));
                out->names[out->len++] = xstrdup(de->d_name);
        }
        if (errno)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "read directory");
        return 0;
}

int unpack_remove_tree(struct unpack_ctx *ctx, int parent, const char *name, struct cric_error **err) {
        if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "remove \"%s\"", name);
        AUTOCLOSE int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open \"%s\"", name);
        CLEANUP(name_list_clear) struct name_list children = {0};
        if (list_dir(ctx, fd, &children, err) < 0)
                return -1;
        for (size_t i = 0; i < children.len; i++)
                if (unpack_remove_tree(ctx, fd, children.names[i], err) < 0)
                        return -1;
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "remove directory \"%s\"", name);
        return 0;
}

/* Removes from the directory dfd (at layer path dir) whatever this layer did not
 * write. Directories this layer wrote stay but are filtered the same way, since the
 * lower layers' contents below them are hidden too. */
static int remove_lower(struct unpack_ctx *ctx, int dfd, const char *dir, struct cric_error **err) {
        CLEANUP(name_list_clear) struct name_list children = {0};
        if (list_dir(ctx, dfd, &children, err) < 0)
                return -1;
        for (size_t i = 0; i < children.len; i++) {
                const char *name = children.names[i];
                AUTOFREE char *child = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
                if (!path_set_contains(&ctx->written, child)) {
                        if (unpack_remove_tree(ctx, dfd, name, err) < 0)
                                return -1;
                        continue;
                }
                AUTOCLOSE int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOTDIR || errno == ELOOP)
                                continue;
                        return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open \"%s\"", child);
                }
                if (remove_lower(ctx, cfd, child, err) < 0)
                        return -1;
        }
        return 0;
}

static int apply_opaque(struct unpack_ctx *ctx, const char *path, struct cric_error **err) {
        AUTOCLOSE int parent = -1;
        const char *name;
        if (unpack_open_parent(ctx, path, true, &parent, &name, err) < 0)
                return -1;
        AUTOCLOSE int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open directory");
        if (ctx->whiteouts == WHITEOUT_APPLY) {
                AUTOFREE char *dir = xstrndup(path, (size_t) (name - path) - (name > path));
                return remove_lower(ctx, dfd, dir, err);
        }
        if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "set trusted.overlay.opaque");
        return 0;
}

static int apply_whiteout(struct unpack_ctx *ctx, const char *path, const char *target, struct cric_error **err) {
        AUTOCLOSE int parent = -1;
        const char *name;
        bool overlay = ctx->whiteouts == WHITEOUT_OVERLAY;
        int r = unpack_open_parent(ctx, path, overlay, &parent, &name, err);
        if (!overlay && (r == -ENOENT || r == -ENOTDIR)) {
                /* Nothing there to delete. */
                cric_error_freep(err);
                return 0;
        }
        if (r < 0)
                return -1;
        if (unpack_remove_tree(ctx, parent, target, err) < 0)
                return -1;
        if (overlay && mknodat(parent, target, S_IFCHR | 0000, makedev(0, 0)) < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "mknod whiteout \"%s\"", target);
        return 0;
}

int unpack_whiteout_apply(struct unpack_ctx *ctx, const char *path, struct cric_error **err) {
        const char *base = last_component(path);
        int r;
        if (!strcmp(base, WH_OPAQUE)) {
                r = apply_opaque(ctx, path, err);
        } else if (!strncmp(base, WH_META_PREFIX, strlen(WH_META_PREFIX))) {
                /* aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content. */
                log_debug("layer entry \"%s\": ignoring aufs metadata", ctx->entry);
                return 0;
        } else {
                const char *target = base + strlen(WH_PREFIX);
                if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
                        return entry_error(ctx, err, CRIC_E_INVALID, 0, "whiteout for an invalid name");
                r = apply_whiteout(ctx, path, target, err);
        }
        if (r < 0)
                return -1;
        ctx->files++;
        return 0;
}
