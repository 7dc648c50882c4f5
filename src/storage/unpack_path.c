/* Paths of layer entries: cleaned lexically (as docker does), then resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) so that no symlink, absolute or
 * relative, in an intermediate component can lead outside the layer root (with
 * full-tree layers RESOLVE_IN_ROOT: see unpack_in_root). Only the
 * parent directory is ever resolved that way; the last component is then created
 * or replaced with *at() calls that do not follow it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/unpack_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

enum cric_error_kind entry_errno_kind(int errnum) {
        switch (errnum) {
        case EXDEV:        /* RESOLVE_BENEATH: a symlink or ".." leads outside */
        case ELOOP:        /* a symlink loop, or a magic link */
        case ENOTDIR:      /* a file used as a directory */
        case ENAMETOOLONG: /* a component or the whole path is too long */
        case EINVAL: return CRIC_E_INVALID;
        default: return CRIC_E_INTERNAL;
        }
}

int entry_error(struct unpack_ctx *ctx, struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt,
                ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *what = xvasprintf(fmt, ap);
        va_end(ap);
        const char *entry = ctx->entry ? ctx->entry : "";
        if (errnum == EXDEV)
                return cric_error_set(err, kind, "entry \"%s\": %s: resolves outside the layer root", entry, what);
        if (errnum)
                return cric_error_errno(err, kind, errnum, "entry \"%s\": %s", entry, what);
        return cric_error_set(err, kind, "entry \"%s\": %s", entry, what);
}

int unpack_path_clean(struct unpack_ctx *ctx, const char *raw, const char *what, char **ret_path,
                      struct cric_error **err) {
        size_t len = strlen(raw);
        AUTOFREE char *out = xmalloc(len + 1);
        size_t n = 0;
        const char *p = raw;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t clen = (size_t) (end - p);
                if (clen == 0 || (clen == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
                        if (n == 0)
                                return entry_error(ctx, err, CRIC_E_INVALID, 0, "%s escapes the layer root", what);
                        char *slash = memrchr(out, '/', n);
                        n = slash ? (size_t) (slash - out) : 0;
                } else {
                        if (n > 0)
                                out[n++] = '/';
                        memcpy(out + n, p, clen);
                        n += clen;
                }
                p = end;
        }
        out[n] = '\0';
        *ret_path = STEAL_PTR(out);
        return 0;
}

size_t unpack_path_depth(const char *path) {
        if (!*path)
                return 0;
        size_t depth = 1;
        for (const char *p = path; *p; p++)
                depth += *p == '/';
        return depth;
}

/* mkdir -p of dir beneath the root, one component at a time, each created relative
 * to its already resolved parent. */
static int make_dirs(struct unpack_ctx *ctx, const char *dir, struct cric_error **err) {
        AUTOFREE char *prefix = xstrdup(dir);
        AUTOCLOSE int prev = openat(ctx->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (prev < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open the layer root");
        size_t len = strlen(prefix);
        for (size_t i = 0; i <= len; i++) {
                if (prefix[i] != '/' && prefix[i] != '\0')
                        continue;
                prefix[i] = '\0';
                const char *comp = strrchr(prefix, '/');
                comp = comp ? comp + 1 : prefix;
                int fd = fs_openat_beneath(ctx->root, prefix, O_PATH | O_DIRECTORY, 0, unpack_in_root(ctx));
                if (fd < 0 && errno == ENOENT) {
                        /* EEXIST: a dangling symlink, say; the lookup below reports it. */
                        if (mkdirat(prev, comp, 0755) == 0) {
                                /* 0755 whatever the umask, as docker's MkdirAll gives. */
                                if (fchmodat(prev, comp, 0755, AT_SYMLINK_NOFOLLOW) < 0)
                                        return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "chmod \"%s\"", prefix);
                                if (ctx->whiteouts == WHITEOUT_APPLY)
                                        path_set_add(&ctx->written, prefix);
                        } else if (errno != EEXIST) {
                                return entry_error(ctx, err, entry_errno_kind(errno), errno, "mkdir \"%s\"", prefix);
                        }
                        fd = fs_openat_beneath(ctx->root, prefix, O_PATH | O_DIRECTORY, 0, unpack_in_root(ctx));
                }
                if (fd < 0) /* ENOENT here: a dangling symlink in the layer */
                        return entry_error(ctx, err, errno == ENOENT ? CRIC_E_INVALID : entry_errno_kind(errno), errno,
                                           "open \"%s\"", prefix);
                close(prev);
                prev = fd;
                if (i < len)
                        prefix[i] = '/';
        }
        return 0;
}

int unpack_open_parent(struct unpack_ctx *ctx, const char *path, bool create, int *ret_fd, const char **ret_name,
                       struct cric_error **err) {
        const char *slash = strrchr(path, '/');
        if (!slash) {
                int fd = openat(ctx->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open the layer root");
                *ret_fd = fd;
                *ret_name = path;
                return 0;
        }
        AUTOFREE char *dir = xstrndup(path, (size_t) (slash - path));
        int fd = fs_openat_beneath(ctx->root, dir, O_PATH | O_DIRECTORY, 0, unpack_in_root(ctx));
        if (fd < 0 && errno == ENOENT && create) {
                if (make_dirs(ctx, dir, err) < 0)
                        return -1;
                fd = fs_openat_beneath(ctx->root, dir, O_PATH | O_DIRECTORY, 0, unpack_in_root(ctx));
        }
        if (fd < 0) {
                int e = errno;
                entry_error(ctx, err, entry_errno_kind(e), e, "open \"%s\"", dir);
                return -e;
        }
        *ret_fd = fd;
        *ret_name = slash + 1;
        return 0;
}

/* ---- path set: open addressing, FNV-1a ---- */

static size_t hash_path(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 1099511628211ULL;
        }
        return (size_t) h;
}

static char **slot_for(char **slots, size_t cap, const char *path) {
        size_t i = hash_path(path) & (cap - 1);
        while (slots[i] && strcmp(slots[i], path) != 0)
                i = (i + 1) & (cap - 1);
        return &slots[i];
}

bool path_set_contains(const struct path_set *s, const char *path) {
        return s->cap > 0 && *slot_for(s->slots, s->cap, path) != NULL;
}

void path_set_add(struct path_set *s, const char *path) {
        if ((s->len + 1) * 4 > s->cap * 3) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                char **slots = xcalloc(cap, sizeof(*slots));
                for (size_t i = 0; i < s->cap; i++)
                        if (s->slots[i])
                                *slot_for(slots, cap, s->slots[i]) = s->slots[i];
                free(s->slots);
                s->slots = slots;
                s->cap = cap;
        }
        char **slot = slot_for(s->slots, s->cap, path);
        if (!*slot) {
                *slot = xstrdup(path);
                s->len++;
        }
}

void path_set_clear(struct path_set *s) {
        for (size_t i = 0; i < s->cap; i++)
                free(s->slots[i]);
        free(s->slots);
        *s = (struct path_set){0};
}
