/* The checksums of a layer's tree, recorded when it is pulled and verified by
 * `cricd check`.
 *
 * The layer's tar is not kept, and re-creating it from the unpacked tree would not give
 * the same bytes (order, headers, whiteouts), so its diff id cannot be recomputed. What
 * is recorded instead, at unpack time, once the tar has been verified against the diff
 * id, is the tree it produced: <layer>/checksums names the diff id on its first line,
 * then one line per file, sorted by path:
 *
 *     <type> <mode octal> <uid> <gid> <size> <hash> <path>
 *
 * type is one of d f l c b p s; hash is the sha256 (hex) of a file's content or a
 * symlink's target, "major,minor" for a device, "-" otherwise; size is 0 but for files;
 * path starts with "/" (the diff dir itself is "/"), its bytes up to space, '%' and from
 * DEL percent-escaped. A tree that matches its checksums is the one the verified tar
 * unpacked to.
 *
 * A btrfs layer is a snapshot of its parent with the layer's changes: a file whose
 * ctime is older than the snapshot is the parent's, unchanged (any write, chmod, chown,
 * link or rename sets the ctime), and takes the hash the parent recorded instead of
 * being read again; without that, every layer would hash all of its parents' files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define SUMS_MAGIC    "cric-layer-checksums 1"
#define SUMS_FILE     "checksums"
#define SUMS_MAX_SIZE (256u << 20)
#define HASH_MAX      (64 + 1)

struct sum_entry {
        char *path; /* escaped */
        char type;
        unsigned mode, uid, gid;
        uint64_t size;
        char hash[HASH_MAX + 1]; /* "" when not computed (quick mode) */
};

struct sum_list {
        struct sum_entry *v;
        size_t n, cap;
};

static void list_clear(struct sum_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        *l = (struct sum_list){0};
}

static char *escape_path(const char *p) {
        size_t n = strlen(p);
        char *out = xmalloc(n * 3 + 1), *o = out;
        for (const unsigned char *s = (const unsigned char *) p; *s; s++) {
                if (*s <= ' ' || *s == '%' || *s >= 0x7f)
                        o += sprintf(o, "%%%02X", *s);
                else
                        *o++ = (char) *s;
        }
        *o = 0;
        return out;
}

static char type_of(mode_t m) {
        switch (m & S_IFMT) {
        case S_IFDIR: return 'd';
        case S_IFREG: return 'f';
        case S_IFLNK: return 'l';
        case S_IFCHR: return 'c';
        case S_IFBLK: return 'b';
        case S_IFIFO: return 'p';
        case S_IFSOCK: return 's';
        }
        return '?';
}

static void hex_of_digest(const char digest[DIGEST_STR_LEN + 1], char out[HASH_MAX + 1]) {
        snprintf(out, HASH_MAX + 1, "%s", digest + 7); /* after "sha256:" */
}

static int hash_file(int dirfd, const char *name, char out[HASH_MAX + 1], struct cric_error **err) {
        AUTOCLOSE int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", name);
        CLEANUP(digester_freep) struct digester *d = digester_new();
        static __thread char buf[64 * 1024];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read %s", name);
                if (n == 0)
                        break;
                digester_update(d, buf, (size_t) n);
        }
        char digest[DIGEST_STR_LEN + 1];
        digester_final(d, digest);
        hex_of_digest(digest, out);
        return 0;
}

static int entry_hash(int dirfd, const char *name, const struct stat *st, struct sum_entry *e,
                      struct cric_error **err) {
        if (S_ISREG(st->st_mode))
                return hash_file(dirfd, name, e->hash, err);
        if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
                if (n < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "readlink %s", name);
                char digest[DIGEST_STR_LEN + 1];
                digest_buffer(target, (size_t) n, digest);
                hex_of_digest(digest, e->hash);
        }
        return 0;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void add_entry(struct sum_list *l, const char *path, const struct stat *st) {
        l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
        struct sum_entry *e = &l->v[l->n++];
        *e = (struct sum_entry){
                .path = escape_path(path),
                .type = type_of(st->st_mode),
                .mode = (unsigned) (st->st_mode & 07777),
                .uid = (unsigned) st->st_uid,
                .gid = (unsigned) st->st_gid,
                .size = S_ISREG(st->st_mode) ? (uint64_t) st->st_size : 0,
        };
        if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                snprintf(e->hash, sizeof(e->hash), "%u,%u", major(st->st_rdev), minor(st->st_rdev));
}

/* The names in dirfd but . and .., sorted; the directory stream is closed again, so a
 * deep tree holds one descriptor per level only. */
static int list_names(int dirfd, const char *path, char ***ret, size_t *ret_n, struct cric_error **err) {
        /* A new open file description, not a dup: btrfs lists through a descriptor only
         * the entries that existed when it was opened, and the caller's (the unpack's
         * diff_fd) was opened before the layer's files were written. */
        int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open dir %s", path);
        AUTOCLOSEDIR DIR *d = fdopendir(dup);
        if (!d) {
                close(dup);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open dir %s", path);
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                        strv_push(&names, de->d_name);
                        n++;
                }
        if (n)
                qsort(names, n, sizeof(char *), by_name);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int by_path(const void *a, const void *b) {
        return strcmp(((const struct sum_entry *) a)->path, ((const struct sum_entry *) b)->path);
}

/* What a layer inherits: its parent's recorded entries (sorted by path) and when the
 * layer was snapshotted from it. */
struct sum_reuse {
        struct sum_list parent;
        struct timespec since;
};

/* Copies the parent's hash into e when the entry is the parent's, unchanged. */
static bool reuse_hash(const struct sum_reuse *reuse, const struct stat *st, struct sum_entry *e) {
        if (!reuse || !reuse->parent.n || (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode)) ||
            fs_changed_since(st, reuse->since))
                return false;
        struct sum_entry key = {.path = e->path};
        const struct sum_entry *p = bsearch(&key, reuse->parent.v, reuse->parent.n, sizeof(key), by_path);
        if (!p || p->type != e->type || p->size != e->size || p->mode != e->mode || p->uid != e->uid ||
            p->gid != e->gid || !p->hash[0])
                return false;
        memcpy(e->hash, p->hash, sizeof(e->hash));
        return true;
}

/* Adds the entries under dirfd (which is path), children sorted by name, depth first. */
static int walk(int dirfd, const char *path, bool with_hashes, const struct sum_reuse *reuse, struct sum_list *l,
                struct cric_error **err) {
        CLEANUP(strv_freep) char **names = NULL;
        size_t n = 0;
        if (list_names(dirfd, path, &names, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                AUTOFREE char *sub = xasprintf("%s%s%s", path, strcmp(path, "/") ? "/" : "", names[i]);
                if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", sub);
                add_entry(l, sub, &st);
                if (with_hashes && !reuse_hash(reuse, &st, &l->v[l->n - 1]) &&
                    entry_hash(dirfd, names[i], &st, &l->v[l->n - 1], err) < 0)
                        return -1;
                if (S_ISDIR(st.st_mode)) {
                        AUTOCLOSE int fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", sub);
                        if (walk(fd, sub, with_hashes, reuse, l, err) < 0)
                                return -1;
                }
        }
        return 0;
}

static int scan_tree(int diff_fd, bool with_hashes, const struct sum_reuse *reuse, struct sum_list *l,
                     struct cric_error **err) {
        struct stat st;
        if (fstat(diff_fd, &st) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat /");
        add_entry(l, "/", &st);
        if (walk(diff_fd, "/", with_hashes, reuse, l, err) < 0)
                return -1;
        qsort(l->v, l->n, sizeof(*l->v), by_path);
        return 0;
}

static int parse_sums(char *text, const char *diff_id, struct sum_list *l, struct cric_error **err);

static char *format_sums(int diff_fd, const char *diff_id, const struct sum_reuse *reuse, struct cric_error **err) {
        struct sum_list l = {0};
        if (scan_tree(diff_fd, true, reuse, &l, err) < 0) {
                list_clear(&l);
                return NULL;
        }
        size_t cap = 0, len = 0;
        char *out = NULL;
        AUTOFREE char *head = xasprintf(SUMS_MAGIC " %s\n", diff_id);
        out = xgrow(out, &cap, strlen(head) + 1, 1);
        len = (size_t) sprintf(out, "%s", head);
        for (size_t i = 0; i < l.n; i++) {
                const struct sum_entry *e = &l.v[i];
                AUTOFREE char *line = xasprintf("%c %04o %u %u %" PRIu64 " %s %s\n", e->type, e->mode, e->uid, e->gid,
                                                e->size, e->hash[0] ? e->hash : "-", e->path);
                size_t ln = strlen(line);
                out = xgrow(out, &cap, len + ln + 1, 1);
                memcpy(out + len, line, ln + 1);
                len += ln;
        }
        list_clear(&l);
        return out;
}

char *layer_sums_format(int diff_fd, const char *diff_id, struct cric_error **err) {
        return format_sums(diff_fd, diff_id, NULL, err);
}

/* The parent's recorded entries, when there are any to reuse (a parent pulled before
 * checksums were recorded, or a damaged file: everything is hashed). */
static void load_reuse(const struct layer_tmp *tmp, struct sum_reuse *ret) {
        *ret = (struct sum_reuse){.since = tmp->since};
        if (!tmp->parent_sums)
                return;
        AUTOFREE char *text = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_read_file_optional(tmp->parent_sums, SUMS_MAX_SIZE, &text, &e) <= 0 ||
            parse_sums(text, NULL, &ret->parent, &e) < 0)
                list_clear(&ret->parent);
}

int layer_tmp_record_sums(struct layer_tmp *tmp, const char *diff_id, struct cric_error **err) {
        struct sum_reuse reuse;
        load_reuse(tmp, &reuse);
        AUTOFREE char *text = format_sums(tmp->diff_fd, diff_id, &reuse, err);
        list_clear(&reuse.parent);
        if (!text)
                return cric_error_prefix(err, "record layer checksums");
        AUTOFREE char *path = xasprintf("%s/" SUMS_FILE, tmp->path);
        return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* Parses the recorded list; a line that does not parse is CRIC_E_INVALID. diff_id NULL:
 * any layer's (only the format is checked). */
static int parse_sums(char *text, const char *diff_id, struct sum_list *l, struct cric_error **err) {
        char *save = NULL;
        char *line = strtok_r(text, "\n", &save);
        AUTOFREE char *head = xasprintf(SUMS_MAGIC " %s", diff_id ? diff_id : "");
        if (!line || (diff_id ? strcmp(line, head) : strncmp(line, head, strlen(head))))
                return cric_error_set(err, CRIC_E_INVALID, "the checksums file is not the one of diff id %s",
                                      diff_id ? diff_id : "any layer");
        while ((line = strtok_r(NULL, "\n", &save))) {
                struct sum_entry e = {0};
                char hash[HASH_MAX + 1], path[16384]; /* PATH_MAX, escaped */
                if (sscanf(line, "%c %o %u %u %" SCNu64 " %65s %16383s", &e.type, &e.mode, &e.uid, &e.gid, &e.size,
                           hash, path) != 7)
                        return cric_error_set(err, CRIC_E_INVALID, "the checksums file has a bad line");
                snprintf(e.hash, sizeof(e.hash), "%s", strcmp(hash, "-") ? hash : "");
                e.path = xstrdup(path);
                l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
                l->v[l->n++] = e;
        }
        return 0;
}

/* The difference between one recorded and one found entry, or NULL when they agree. */
static char *compare(const struct sum_entry *want, const struct sum_entry *got, bool is_full) {
        if (want->type != got->type)
                return xasprintf("%s: type %c, recorded %c", want->path, got->type, want->type);
        if (want->mode != got->mode || want->uid != got->uid || want->gid != got->gid)
                return xasprintf("%s: mode %04o owner %u:%u, recorded %04o %u:%u", want->path, got->mode, got->uid,
                                 got->gid, want->mode, want->uid, want->gid);
        if (want->size != got->size)
                return xasprintf("%s: size %" PRIu64 ", recorded %" PRIu64, want->path, got->size, want->size);
        bool has_hashes = is_full || want->type == 'c' || want->type == 'b';
        if (has_hashes && strcmp(want->hash, got->hash))
                return xasprintf("%s: %s differs from the checksum recorded at pull", want->path,
                                 want->type == 'l'                        ? "link target"
                                 : want->type == 'c' || want->type == 'b' ? "device number"
                                                                          : "content");
        return NULL;
}

/* Merges the two sorted lists; the first difference goes to *ret_problem. */
static int diff_lists(const struct sum_list *want, const struct sum_list *got, bool is_full, char **ret_problem) {
        size_t i = 0, j = 0, n_diff = 0;
        AUTOFREE char *first = NULL;
        while (i < want->n || j < got->n) {
                int c = i == want->n ? 1 : j == got->n ? -1 : strcmp(want->v[i].path, got->v[j].path);
                char *d = NULL;
                if (c < 0)
                        d = xasprintf("%s: missing", want->v[i++].path);
                else if (c > 0)
                        d = xasprintf("%s: not in the layer as pulled", got->v[j++].path);
                else
                        d = compare(&want->v[i++], &got->v[j++], is_full);
                if (!d)
                        continue;
                if (!first)
                        first = d;
                else
                        free(d);
                n_diff++;
        }
        if (!n_diff)
                return 0;
        *ret_problem = n_diff == 1 ? STEAL_PTR(first) : xasprintf("%s (and %zu more differences)", first, n_diff - 1);
        return 1;
}

int layer_store_verify(struct layer_store *ls, const char *chain_id, const char *diff_id, bool is_full,
                       char **ret_problem, struct cric_error **err) {
        AUTOFREE char *diff = layer_store_diff_path(ls, chain_id);
        AUTOFREE char *sums_path = xasprintf("%.*s/" SUMS_FILE, (int) (strlen(diff) - strlen("/diff")), diff);
        AUTOFREE char *text = NULL;
        int r = fs_read_file_optional(sums_path, SUMS_MAX_SIZE, &text, err);
        if (r < 0)
                return -1;
        if (!text)
                return LAYER_VERIFY_UNRECORDED;
        struct sum_list want = {0}, got = {0};
        CLEANUP(cric_error_freep) struct cric_error *perr = NULL;
        if (parse_sums(text, diff_id, &want, &perr) < 0) {
                list_clear(&want);
                *ret_problem = xasprintf("%s: %s", sums_path, perr->msg);
                return LAYER_VERIFY_DAMAGED;
        }
        AUTOCLOSE int fd = open(diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                list_clear(&want);
                *ret_problem = xasprintf("%s: %s", diff, strerror(errno));
                return LAYER_VERIFY_DAMAGED;
        }
        /* The quick form compares what lstat tells (type, mode, owner, size) and reads no file. */
        r = scan_tree(fd, is_full, NULL, &got, &perr);
        if (r < 0) {
                list_clear(&want);
                list_clear(&got);
                *ret_problem = xstrdup(perr->msg);
                return LAYER_VERIFY_DAMAGED;
        }
        r = diff_lists(&want, &got, is_full, ret_problem);
        list_clear(&want);
        list_clear(&got);
        return r ? LAYER_VERIFY_DAMAGED : LAYER_VERIFY_OK;
}
