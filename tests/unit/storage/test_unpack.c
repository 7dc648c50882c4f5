/* layer_unpack(): tars built in memory with libarchive's writer (pax), compressed here
 * with zlib/zstd, unpacked into a fresh temp dir "root" whose sibling "outside" must
 * stay untouched by every escape attempt. Cases that need root skip without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "storage/unpack.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/xalloc.h"

#define MTIME 1600000000

/* ---- tar building ---- */

struct tarb {
        struct archive *a;
        uint8_t *buf;
        size_t cap, used;
};

static struct tarb *tar_new(void) {
        struct tarb *t = xzalloc(sizeof(*t));
        t->cap = 32 << 20;
        t->buf = xmalloc(t->cap);
        t->a = archive_write_new();
        assert_int_equal(archive_write_set_format_pax(t->a), ARCHIVE_OK);
        assert_int_equal(archive_write_add_filter_none(t->a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_memory(t->a, t->buf, t->cap, &t->used), ARCHIVE_OK);
        return t;
}

static uint8_t *tar_finish(struct tarb *t, size_t *len) {
        assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
        archive_write_free(t->a);
        uint8_t *buf = t->buf;
        *len = t->used;
        free(t);
        return buf;
}

static struct archive_entry *ent(const char *path, mode_t mode) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_mode(e, mode);
        archive_entry_set_uid(e, geteuid());
        archive_entry_set_gid(e, getegid());
        archive_entry_set_mtime(e, MTIME, 0);
        archive_entry_set_atime(e, MTIME + 5, 0);
        return e;
}

static void put(struct tarb *t, struct archive_entry *e, const void *data, size_t len) {
        if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
                archive_entry_set_size(e, (la_int64_t) len);
        assert_true(archive_write_header(t->a, e) >= ARCHIVE_WARN);
        if (len)
                assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t) len);
        archive_entry_free(e);
}

/* Compact entry list: f=file (arg: content), d=dir, l=symlink, h=hard link (arg: target). */
struct spec {
        char type;
        const char *path;
        const char *arg;
        mode_t perm;
};

static void add_spec(struct tarb *t, const struct spec *s) {
        mode_t perm = s->perm ? s->perm : (s->type == 'd' ? 0755 : 0644);
        struct archive_entry *e;
        switch (s->type) {
        case 'd': put(t, ent(s->path, AE_IFDIR | perm), NULL, 0); break;
        case 'l':
                e = ent(s->path, AE_IFLNK | 0777);
                archive_entry_set_symlink(e, s->arg);
                put(t, e, NULL, 0);
                break;
        case 'h':
                e = ent(s->path, AE_IFREG | perm);
                archive_entry_set_hardlink(e, s->arg);
                put(t, e, NULL, 0);
                break;
        default: put(t, ent(s->path, AE_IFREG | perm), s->arg, s->arg ? strlen(s->arg) : 0); break;
        }
}

static uint8_t *build_tar(const struct spec *specs, size_t n, size_t *len) {
        struct tarb *t = tar_new();
        for (size_t i = 0; i < n; i++)
                add_spec(t, &specs[i]);
        return tar_finish(t, len);
}

#define TAR(len, ...)                                                                                                  \
        build_tar((const struct spec[]){__VA_ARGS__},                                                                  \
                  sizeof((const struct spec[]){__VA_ARGS__}) / sizeof(struct spec), len)

static uint8_t *gz(const void *in, size_t len, size_t *out_len) {
        z_stream zs = {0};
        assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        size_t cap = deflateBound(&zs, len);
        uint8_t *out = xmalloc(cap);
        zs.next_in = (Bytef *) in;
        zs.avail_in = (uInt) len;
        zs.next_out = out;
        zs.avail_out = (uInt) cap;
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        *out_len = cap - zs.avail_out;
        deflateEnd(&zs);
        return out;
}

static uint8_t *zst(const void *in, size_t len, size_t *out_len) {
        size_t cap = ZSTD_compressBound(len);
        uint8_t *out = xmalloc(cap);
        *out_len = ZSTD_compress(out, cap, in, len, 3);
        assert_false(ZSTD_isError(*out_len));
        return out;
}

static uint8_t *concat(const void *a, size_t alen, const void *b, size_t blen, size_t *len) {
        uint8_t *out = xmalloc(alen + blen);
        memcpy(out, a, alen);
        memcpy(out + alen, b, blen);
        *len = alen + blen;
        return out;
}

/* ---- sources ---- */

struct mem_src {
        const uint8_t *p;
        size_t len, pos;
        size_t chunk;      /* 0: as much as asked */
        bool odd_chunks;   /* cycle through small odd sizes */
        size_t fail_after; /* 0: never fail */
        unsigned calls;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct cric_error **err) {
        static const size_t odd[] = {1, 7, 13, 509, 4093, 65537, 3};
        struct mem_src *m = ctx;
        if (m->fail_after && m->pos >= m->fail_after)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "network down");
        size_t n = m->len - m->pos;
        size_t limit = m->odd_chunks ? odd[m->calls % 7] : m->chunk;
        m->calls++;
        if (limit && n > limit)
                n = limit;
        if (n > len)
                n = len;
        memcpy(buf, m->p + m->pos, n);
        m->pos += n;
        return (ssize_t) n;
}

/* ---- fixture ---- */

struct fx {
        char *base, root[96], outside[96];
        int rootfd;
};

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        f->base = testlib_tmpdir("unpack-test");
        snprintf(f->root, sizeof(f->root), "%s/root", f->base);
        snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
        assert_int_equal(mkdir(f->root, 0755), 0);
        assert_int_equal(mkdir(f->outside, 0755), 0);
        f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->rootfd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        close(f->rootfd);
        int r = testlib_rmtree(f->base);
        free(f->base);
        free(f);
        return r;
}

static int run(struct fx *f, struct mem_src *m, const struct unpack_opts *opts, struct unpack_result *res,
               struct cric_error **err) {
        struct unpack_source src = {mem_read, m};
        return layer_unpack(f->rootfd, &src, opts, res, err);
}

static void unpack_ok_mode(struct fx *f, const void *data, size_t len, enum whiteout_mode mode,
                           struct unpack_result *res) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct mem_src m = {.p = data, .len = len, .chunk = 4096};
        struct unpack_opts o = {.expected_size = -1, .whiteouts = mode};
        if (run(f, &m, &o, res, &err) < 0)
                fail_msg("unpack failed: %s", err ? err->msg : "(no error)");
        assert_null(err);
}

static void unpack_ok(struct fx *f, const void *data, size_t len) {
        struct unpack_result res;
        unpack_ok_mode(f, data, len, WHITEOUT_OVERLAY, &res);
}

static void expect_fail_opts(struct fx *f, const void *data, size_t len, const struct unpack_opts *o,
                             const char *needle) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct mem_src m = {.p = data, .len = len};
        struct unpack_result res = {.files = -7};
        assert_int_equal(run(f, &m, o, &res, &err), -1);
        assert_non_null(err);
        if (getenv("TEST_UNPACK_VERBOSE")) /* to read every refusal */
                print_message("error: %s\n", err->msg);
        if (!strstr(err->msg, needle))
                fail_msg("error \"%s\" lacks \"%s\"", err->msg, needle);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(res.files, -7); /* ret is written only on success */
}

static void expect_fail(struct fx *f, const void *data, size_t len, enum whiteout_mode mode, const char *needle) {
        struct unpack_opts o = {.expected_size = -1, .whiteouts = mode};
        expect_fail_opts(f, data, len, &o, needle);
}

static void assert_content(struct fx *f, const char *path, const char *want) {
        char buf[256] = {0};
        AUTOCLOSE int fd = openat(f->rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %m", path);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        assert_true(n >= 0);
        assert_string_equal(buf, want);
}

static struct stat lst(struct fx *f, const char *path) {
        struct stat st;
        if (fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                fail_msg("lstat %s: %m", path);
        return st;
}

static bool exists(struct fx *f, const char *path) {
        struct stat st;
        return fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_outside_empty(struct fx *f) {
        assert_int_equal(testlib_count_entries(f->outside), 0);
}

static void write_at(struct fx *f, const char *path, const char *content) {
        AUTOCLOSE int fd = openat(f->rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
}

/* ---- basic content ---- */

static void test_regular_file(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "hello.txt", "hello world", 0640});
        unpack_ok(f, tar, len);
        struct stat st = lst(f, "hello.txt"); /* before reading moves the atime */
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_mtim.tv_sec, MTIME);
        assert_int_equal(st.st_atim.tv_sec, MTIME + 5);
        assert_int_equal(st.st_uid, geteuid());
        assert_content(f, "hello.txt", "hello world");
}

static void test_owner(void **state) {
        REQUIRE_ROOT("to give files other owners");
        struct fx *f = *state;
        struct tarb *t = tar_new();
        struct archive_entry *e = ent("owned", AE_IFREG | 0600);
        archive_entry_set_uid(e, 1234);
        archive_entry_set_gid(e, 5678);
        put(t, e, "x", 1);
        e = ent("owned-dir", AE_IFDIR | 0700);
        archive_entry_set_uid(e, 4000000000u);
        archive_entry_set_gid(e, 42);
        put(t, e, NULL, 0);
        size_t len;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        unpack_ok(f, tar, len);
        struct stat st = lst(f, "owned");
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        st = lst(f, "owned-dir");
        assert_int_equal(st.st_uid, 4000000000u);
        assert_int_equal(st.st_gid, 42);
}

static void test_dirs_and_times(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "a", NULL, 0750}, {'d', "a/b", NULL, 0700}, {'f', "a/b/c", "c", 0},
                                    {'f', "a/d", "d", 0});
        unpack_ok(f, tar, len);
        struct stat st = lst(f, "a");
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0750);
        /* Children were created after the directories: their times were set last. */
        assert_int_equal(st.st_mtim.tv_sec, MTIME);
        assert_int_equal(lst(f, "a/b").st_mtim.tv_sec, MTIME);
        assert_int_equal(lst(f, "a/b").st_atim.tv_sec, MTIME + 5);
        assert_content(f, "a/b/c", "c");
}

static void test_implicit_parents(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "x/y/z/file", "deep", 0});
        unpack_ok(f, tar, len);
        assert_content(f, "x/y/z/file", "deep");
        assert_int_equal(lst(f, "x/y").st_mode & 07777, 0755);
}

static void test_root_entry(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "./", NULL, 0710}, {'f', "./a", "a", 0});
        unpack_ok(f, tar, len);
        struct stat st;
        assert_int_equal(fstat(f->rootfd, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0710);
        assert_int_equal(st.st_mtim.tv_sec, MTIME);
        assert_content(f, "a", "a");
}

static void test_symlink(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'l', "abs", "/etc/passwd", 0}, {'l', "rel", "../../x", 0});
        unpack_ok(f, tar, len);
        char buf[64] = {0};
        assert_true(readlinkat(f->rootfd, "abs", buf, sizeof(buf) - 1) > 0);
        assert_string_equal(buf, "/etc/passwd");
        memset(buf, 0, sizeof(buf));
        assert_true(readlinkat(f->rootfd, "rel", buf, sizeof(buf) - 1) > 0);
        assert_string_equal(buf, "../../x");
        struct stat st = lst(f, "abs");
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(st.st_mtim.tv_sec, MTIME);
}

static void test_hardlink(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar =
                TAR(&len, {'f', "f", "shared", 0}, {'h', "d/h", "f", 0}, {'l', "s", "f", 0}, {'h', "hs", "/s", 0});
        unpack_ok(f, tar, len);
        struct stat a = lst(f, "f"), b = lst(f, "d/h");
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(a.st_nlink, 2);
        assert_content(f, "d/h", "shared");
        assert_true(S_ISLNK(lst(f, "hs").st_mode)); /* a link to the symlink itself */
}

static void test_devices_and_fifo(void **state) {
        REQUIRE_ROOT("to create device nodes");
        struct fx *f = *state;
        struct tarb *t = tar_new();
        struct archive_entry *e = ent("dev/null", AE_IFCHR | 0666);
        archive_entry_set_rdevmajor(e, 1);
        archive_entry_set_rdevminor(e, 3);
        put(t, e, NULL, 0);
        e = ent("dev/loop9", AE_IFBLK | 0660);
        archive_entry_set_rdevmajor(e, 7);
        archive_entry_set_rdevminor(e, 9);
        archive_entry_set_uid(e, 6);
        put(t, e, NULL, 0);
        put(t, ent("fifo", AE_IFIFO | 0620), NULL, 0);
        size_t len;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        unpack_ok(f, tar, len);
        struct stat st = lst(f, "dev/null");
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(1, 3));
        assert_int_equal(st.st_mode & 07777, 0666);
        st = lst(f, "dev/loop9");
        assert_true(S_ISBLK(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(7, 9));
        assert_int_equal(st.st_uid, 6);
        st = lst(f, "fifo");
        assert_true(S_ISFIFO(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0620);
        assert_int_equal(st.st_mtim.tv_sec, MTIME);
}

static void test_user_xattrs(void **state) {
        struct fx *f = *state;
        struct tarb *t = tar_new();
        struct archive_entry *e = ent("d", AE_IFDIR | 0755);
        archive_entry_xattr_add_entry(e, "user.dir", "dv", 2);
        put(t, e, NULL, 0);
        e = ent("d/f", AE_IFREG | 0644);
        archive_entry_xattr_add_entry(e, "user.note", "hello\0bin", 9);
        archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1); /* dropped */
        put(t, e, "x", 1);
        size_t len;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        unpack_ok(f, tar, len);
        char path[256], buf[32];
        snprintf(path, sizeof(path), "%s/d/f", f->root);
        assert_int_equal(getxattr(path, "user.note", buf, sizeof(buf)), 9);
        assert_memory_equal(buf, "hello\0bin", 9);
        assert_int_equal(getxattr(path, "trusted.overlay.opaque", buf, sizeof(buf)), -1);
        snprintf(path, sizeof(path), "%s/d", f->root);
        assert_int_equal(getxattr(path, "user.dir", buf, sizeof(buf)), 2);
}

static void test_security_capability_and_setuid(void **state) {
        REQUIRE_ROOT("to set security.capability");
        struct fx *f = *state;
        /* vfs_cap_data revision 2, effective, permitted = CAP_NET_BIND_SERVICE. */
        static const uint8_t cap[20] = {0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0};
        struct tarb *t = tar_new();
        struct archive_entry *e = ent("bin/ping", AE_IFREG | 04755);
        archive_entry_set_uid(e, 1000);
        archive_entry_set_gid(e, 1000);
        archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof(cap));
        put(t, e, "ELF", 3);
        e = ent("bin/sg", AE_IFREG | 02711);
        archive_entry_set_gid(e, 50);
        put(t, e, "x", 1);
        e = ent("tmp", AE_IFDIR | 01777);
        archive_entry_xattr_add_entry(e, "trusted.x", "t", 1);
        put(t, e, NULL, 0);
        e = ent("lnk", AE_IFLNK | 0777);
        archive_entry_set_symlink(e, "/nowhere");
        archive_entry_xattr_add_entry(e, "trusted.l", "sym", 3);
        put(t, e, NULL, 0);
        size_t len;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        unpack_ok(f, tar, len);
        struct stat st = lst(f, "bin/ping");
        assert_int_equal(st.st_mode & 07777, 04755);
        assert_int_equal(st.st_uid, 1000);
        char path[256];
        uint8_t buf[64];
        snprintf(path, sizeof(path), "%s/bin/ping", f->root);
        assert_int_equal(getxattr(path, "security.capability", buf, sizeof(buf)), sizeof(cap));
        assert_memory_equal(buf, cap, sizeof(cap));
        assert_int_equal(lst(f, "bin/sg").st_mode & 07777, 02711);
        assert_int_equal(lst(f, "tmp").st_mode & 07777, 01777);
        snprintf(path, sizeof(path), "%s/lnk", f->root);
        assert_int_equal(lgetxattr(path, "trusted.l", buf, sizeof(buf)), 3);
        assert_memory_equal(buf, "sym", 3);
}

/* The pax writer stores names as UTF-8; the unpack runs in this process's "C" locale. */
static void test_utf8_name(void **state) {
        struct fx *f = *state;
        locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
        assert_non_null(loc);
        locale_t old = uselocale(loc); /* libarchive's writer needs to read the name back */
        struct tarb *t = tar_new();
        struct archive_entry *e = ent("x", AE_IFREG | 0644);
        archive_entry_update_pathname_utf8(e, "caf\xc3\xa9-\xe6\x97\xa5.txt");
        put(t, e, "u", 1);
        size_t len;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        uselocale(old);
        freelocale(loc);
        assert_non_null(memmem(tar, len, "path=caf\xc3\xa9", 10));
        unpack_ok(f, tar, len);
        assert_content(f, "caf\xc3\xa9-\xe6\x97\xa5.txt", "u");
}

/* ---- compression, digests, sizes ---- */

static void check_digests(struct fx *f, const uint8_t *blob, size_t blen, const uint8_t *tar, size_t tlen) {
        char digest[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
        digest_buffer(blob, blen, digest);
        digest_buffer(tar, tlen, diff_id);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct mem_src m = {.p = blob, .len = blen, .chunk = 1000};
        struct unpack_opts o = {digest, diff_id, (int64_t) blen, WHITEOUT_OVERLAY};
        struct unpack_result res;
        if (run(f, &m, &o, &res, &err) < 0)
                fail_msg("unpack: %s", err->msg);
        assert_string_equal(res.digest, digest);
        assert_string_equal(res.diff_id, diff_id);
        assert_int_equal(res.compressed_size, blen);
        assert_int_equal(res.uncompressed_size, tlen);
        assert_int_equal(res.files, 2);
        assert_int_equal(m.pos, blen); /* read to the end */
        assert_content(f, "d/f", "payload");
}

static void test_gzip_digests(void **state) {
        size_t len, glen;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        AUTOFREE uint8_t *g = gz(tar, len, &glen);
        check_digests(*state, g, glen, tar, len);
}

static void test_zstd_digests(void **state) {
        size_t len, zlen;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        AUTOFREE uint8_t *z = zst(tar, len, &zlen);
        check_digests(*state, z, zlen, tar, len);
}

static void test_none_digests(void **state) {
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        check_digests(*state, tar, len, tar, len);
}

static void test_trailing_padding_counted(void **state) {
        size_t len, plen;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        static uint8_t zeros[8192];
        AUTOFREE uint8_t *padded = concat(tar, len, zeros, sizeof(zeros), &plen);
        size_t glen;
        AUTOFREE uint8_t *g = gz(padded, plen, &glen);
        check_digests(*state, g, glen, padded, plen);
}

static void test_concatenated_gzip(void **state) {
        size_t len, alen, blen, glen;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        AUTOFREE uint8_t *a = gz(tar, 700, &alen);
        AUTOFREE uint8_t *b = gz(tar + 700, len - 700, &blen);
        AUTOFREE uint8_t *g = concat(a, alen, b, blen, &glen);
        check_digests(*state, g, glen, tar, len);
}

static void test_concatenated_zstd(void **state) {
        size_t len, alen, blen, zlen;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/f", "payload", 0});
        AUTOFREE uint8_t *a = zst(tar, 1500, &alen);
        AUTOFREE uint8_t *b = zst(tar + 1500, len - 1500, &blen);
        AUTOFREE uint8_t *z = concat(a, alen, b, blen, &zlen);
        check_digests(*state, z, zlen, tar, len);
}

static void test_mismatches(void **state) {
        struct fx *f = *state;
        size_t len, glen;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", "x", 0});
        AUTOFREE uint8_t *g = gz(tar, len, &glen);
        char digest[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
        digest_buffer(g, glen, digest);
        digest_buffer(tar, len, diff_id);
        const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        AUTOFREE char *want_digest = xasprintf("digest mismatch: expected %s, got %s", wrong, digest);
        AUTOFREE char *want_diff = xasprintf("diff id mismatch: expected %s, got %s", wrong, diff_id);
        struct unpack_opts o = {wrong, diff_id, -1, WHITEOUT_OVERLAY};
        expect_fail_opts(f, g, glen, &o, want_digest);
        o = (struct unpack_opts){digest, wrong, -1, WHITEOUT_OVERLAY};
        expect_fail_opts(f, g, glen, &o, want_diff);
        AUTOFREE char *want_size = xasprintf("size mismatch: expected %zu bytes, got %zu", glen + 1, glen);
        o = (struct unpack_opts){digest, diff_id, (int64_t) glen + 1, WHITEOUT_OVERLAY};
        expect_fail_opts(f, g, glen, &o, want_size);
        o.expected_size = 10; /* stops reading as soon as the source gives more */
        expect_fail_opts(f, g, glen, &o, "size mismatch: expected 10 bytes");
        o = (struct unpack_opts){"sha512:abc", NULL, -1, WHITEOUT_OVERLAY};
        expect_fail_opts(f, g, glen, &o, "unsupported digest");
}

static void test_truncated_gzip(void **state) {
        struct fx *f = *state;
        size_t len, glen;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", "some content that compresses", 0});
        AUTOFREE uint8_t *g = gz(tar, len, &glen);
        expect_fail(f, g, glen - 4, WHITEOUT_OVERLAY, "gzip: unexpected end of data");
        expect_fail(f, g, glen / 2, WHITEOUT_OVERLAY, "gzip: unexpected end of data");
        expect_fail(f, g, 5, WHITEOUT_OVERLAY, "gzip: unexpected end of data");
}

static void test_truncated_zstd_and_tar(void **state) {
        struct fx *f = *state;
        size_t len, zlen;
        static char big[20000];
        memset(big, 'q', sizeof(big) - 1);
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", big, 0});
        AUTOFREE uint8_t *z = zst(tar, len, &zlen);
        expect_fail(f, z, zlen - 3, WHITEOUT_OVERLAY, "zstd: unexpected end of data");
        expect_fail(f, tar, 512 + 512 + 5000, WHITEOUT_OVERLAY, "layer: unexpected end of data");
}

static void test_corrupt_streams(void **state) {
        struct fx *f = *state;
        size_t len, glen, zlen;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", "some content that compresses well well well", 0});
        AUTOFREE uint8_t *g = gz(tar, len, &glen);
        g[glen / 2] ^= 0x55;
        g[glen / 2 + 1] ^= 0xaa;
        expect_fail(f, g, glen, WHITEOUT_OVERLAY, "gzip: ");
        AUTOFREE uint8_t *z = zst(tar, len, &zlen);
        z[zlen / 2] ^= 0xff;
        z[zlen - 2] ^= 0xff;
        expect_fail(f, z, zlen, WHITEOUT_OVERLAY, "zstd: ");
        /* A valid member followed by junk. */
        size_t jlen;
        AUTOFREE uint8_t *ok = gz(tar, len, &glen);
        AUTOFREE uint8_t *junk = concat(ok, glen, "\x1f\x8bjunkjunk", 10, &jlen);
        expect_fail(f, junk, jlen, WHITEOUT_OVERLAY, "gzip: ");
}

static void test_garbage(void **state) {
        struct fx *f = *state;
        uint8_t junk[3000];
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t) (i * 7919 + 13);
        expect_fail(f, junk, sizeof(junk), WHITEOUT_OVERLAY, "layer: ");
        expect_fail(f, "\x1f\x8b\x08\x00garbage", 11, WHITEOUT_OVERLAY, "gzip: ");
}

static void test_source_error(void **state) {
        struct fx *f = *state;
        size_t len;
        static char big[50000];
        memset(big, 'z', sizeof(big) - 1);
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", big, 0});
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct mem_src m = {.p = tar, .len = len, .chunk = 1000, .fail_after = 20000};
        assert_int_equal(run(f, &m, NULL, NULL, &err), -1);
        assert_int_equal(err->kind, CRIC_E_UNAVAILABLE);
        assert_string_equal(err->msg, "network down");
}

static void fill_random(uint8_t *p, size_t n) {
        uint64_t x = 88172645463325252ULL;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[i] = (uint8_t) (x % 40); /* compressible, but not trivially */
        }
}

static void test_large_file_odd_chunks(void **state) {
        struct fx *f = *state;
        size_t size = 8 << 20;
        AUTOFREE uint8_t *data = xmalloc(size);
        fill_random(data, size);
        struct tarb *t = tar_new();
        put(t, ent("big.bin", AE_IFREG | 0644), data, size);
        size_t len, glen;
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        AUTOFREE uint8_t *g = gz(tar, len, &glen);
        char digest[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
        digest_buffer(g, glen, digest);
        digest_buffer(tar, len, diff_id);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct mem_src m = {.p = g, .len = glen, .odd_chunks = true};
        struct unpack_opts o = {digest, diff_id, (int64_t) glen, WHITEOUT_OVERLAY};
        struct unpack_result res;
        if (run(f, &m, &o, &res, &err) < 0)
                fail_msg("unpack: %s", err->msg);
        assert_true(m.calls > 300);
        assert_int_equal(res.uncompressed_size, len);
        AUTOFREE uint8_t *back = xmalloc(size);
        AUTOCLOSE int fd = openat(f->rootfd, "big.bin", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        size_t got = 0;
        ssize_t n;
        while (got < size && (n = read(fd, back + got, size - got)) > 0)
                got += (size_t) n;
        assert_int_equal(got, size);
        assert_memory_equal(back, data, size);
}

static void test_empty_tar(void **state) {
        struct fx *f = *state;
        size_t len;
        struct tarb *t = tar_new();
        AUTOFREE uint8_t *tar = tar_finish(t, &len);
        struct unpack_result res;
        unpack_ok_mode(f, tar, len, WHITEOUT_OVERLAY, &res);
        assert_int_equal(res.files, 0);
        assert_int_equal(res.uncompressed_size, len);
        unpack_ok_mode(f, "", 0, WHITEOUT_OVERLAY, &res);
        assert_int_equal(res.compressed_size, 0);
        char empty[DIGEST_STR_LEN + 1];
        digest_buffer("", 0, empty);
        assert_string_equal(res.digest, empty);
        size_t glen;
        AUTOFREE uint8_t *g = gz("", 0, &glen);
        unpack_ok_mode(f, g, glen, WHITEOUT_OVERLAY, &res);
        assert_string_equal(res.diff_id, empty);
}

/* ---- escapes: each must fail naming the entry and leave "outside" untouched ---- */

static void test_escape_dotdot(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "../outside/pwned", "x", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"../outside/pwned\": path escapes the layer root");
        assert_outside_empty(f);
}

static void test_escape_deep_dotdot(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "a/b/ok", "fine", 0}, {'f', "a/b/../../../outside/x", "x", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"a/b/../../../outside/x\"");
        assert_outside_empty(f);
        assert_content(f, "a/b/ok", "fine");
}

static void test_absolute_paths_stay_inside(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "/etc/cric-unpack-test", "in root", 0}, {'f', "//a/./b/../c", "c", 0});
        unpack_ok(f, tar, len);
        assert_content(f, "etc/cric-unpack-test", "in root");
        assert_content(f, "a/c", "c");
        assert_int_equal(access("/etc/cric-unpack-test", F_OK), -1);
}

static void test_escape_symlink_write_through(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'l', "a", f->outside, 0}, {'f', "a/passwd", "pwned", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"a/passwd\"");
        assert_outside_empty(f);
        AUTOFREE uint8_t *tar2 = TAR(&len, {'l', "b", "../outside", 0}, {'d', "b/sub", NULL, 0});
        expect_fail(f, tar2, len, WHITEOUT_OVERLAY, "resolves outside the layer root");
        assert_outside_empty(f);
        AUTOFREE uint8_t *tar3 = TAR(&len, {'l', "etc", "/etc", 0}, {'f', "etc/passwd", "pwned", 0});
        expect_fail(f, tar3, len, WHITEOUT_OVERLAY, "entry \"etc/passwd\"");
}

static void test_escape_symlink_chain(void **state) {
        struct fx *f = *state;
        size_t len;
        /* Each link stays "inside" by itself; the chain climbs out. */
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'l', "d/up", "..", 0}, {'l', "d/upup", "up/..", 0},
                                    {'l', "hop", "d/upup/outside", 0}, {'f', "hop/x", "pwned", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"hop/x\"");
        assert_outside_empty(f);
        /* A chain that stays inside is followed. */
        AUTOFREE uint8_t *ok = TAR(&len, {'d', "d2/real", NULL, 0}, {'l', "d2/up", "..", 0},
                                   {'l', "in", "d2/up/d2/real", 0}, {'f', "in/x", "inside", 0});
        unpack_ok(f, ok, len);
        assert_content(f, "d2/real/x", "inside");
}

static void test_escape_hardlinks(void **state) {
        struct fx *f = *state;
        struct stat before, after;
        assert_int_equal(stat("/etc/passwd", &before), 0);
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'h', "pw", "/etc/passwd", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"pw\": hard link target \"/etc/passwd\" not found");
        assert_int_equal(stat("/etc/passwd", &after), 0);
        assert_int_equal(before.st_nlink, after.st_nlink);
        assert_false(exists(f, "pw"));

        char secret[128];
        snprintf(secret, sizeof(secret), "%s/secret", f->outside);
        AUTOCLOSE int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        AUTOFREE uint8_t *tar2 = TAR(&len, {'h', "s", "../outside/secret", 0});
        expect_fail(f, tar2, len, WHITEOUT_OVERLAY, "hard link target \"../outside/secret\" escapes the layer root");
        AUTOFREE uint8_t *tar3 = TAR(&len, {'l', "out", f->outside, 0}, {'h', "s2", "out/secret", 0});
        expect_fail(f, tar3, len, WHITEOUT_OVERLAY, "entry \"s2\"");
        AUTOFREE uint8_t *tar4 = TAR(&len, {'l', "up", "..", 0}, {'h', "s3", "up/outside/secret", 0});
        expect_fail(f, tar4, len, WHITEOUT_OVERLAY, "resolves outside the layer root");
        assert_int_equal(stat(secret, &after), 0);
        assert_int_equal(after.st_nlink, 1);
}

static void test_escape_dir_replaced_by_symlink(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/ok", "ok", 0}, {'l', "d", f->outside, 0},
                                    {'f', "d/x", "pwned", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"d/x\"");
        assert_outside_empty(f);
        assert_true(S_ISLNK(lst(f, "d").st_mode));
}

static void test_escape_via_whiteout(void **state) {
        struct fx *f = *state;
        char victim[128];
        snprintf(victim, sizeof(victim), "%s/victim", f->outside);
        AUTOCLOSE int fd = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'l', "l", f->outside, 0}, {'f', "l/.wh.victim", "", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"l/.wh.victim\"");
        /* full-tree layers resolve as in a chroot: "l" leads to <root><outside>, where
         * there is nothing to remove */
        struct unpack_result res;
        unpack_ok_mode(f, tar, len, WHITEOUT_APPLY, &res);
        assert_int_equal(access(victim, F_OK), 0);
        AUTOFREE uint8_t *tar2 = TAR(&len, {'f', "a/.wh...", "", 0});
        expect_fail(f, tar2, len, WHITEOUT_APPLY, "whiteout for an invalid name");
        AUTOFREE uint8_t *tar3 = TAR(&len, {'f', "../.wh.outside", "", 0});
        expect_fail(f, tar3, len, WHITEOUT_APPLY, "escapes the layer root");
        assert_int_equal(access(victim, F_OK), 0);
        assert_int_equal(access(f->root, F_OK), 0);
}

/* Full-tree layers hold their parents' symlinks: a later entry written through an
 * absolute one (a merged-/usr "lib -> /usr/lib") or one with ".." lands where the link
 * leads inside the layer, never outside. */
static void test_apply_writes_through_symlinks_in_root(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar =
                TAR(&len, {'d', "usr", NULL, 0755}, {'d', "usr/lib", NULL, 0755}, {'l', "lib", "/usr/lib", 0},
                    {'l', "up", "../../../..", 0}, {'f', "lib/libx.so", "x", 0}, {'f', "up/usr/lib/liby.so", "y", 0});
        struct unpack_result res;
        unpack_ok_mode(f, tar, len, WHITEOUT_APPLY, &res);
        assert_content(f, "usr/lib/libx.so", "x");
        assert_content(f, "usr/lib/liby.so", "y");
        assert_outside_empty(f);
        /* stacked (overlay) layers keep refusing what leads out */
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "resolves outside the layer root");
}

/* ---- replacement rules ---- */

static void test_replace_file_and_symlink(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "a", "one", 0}, {'f', "a", "two", 0600}, {'l', "s", "/nowhere", 0},
                                    {'l', "t", f->outside, 0}, {'f', "s", "file now", 0}, {'f', "t", "not outside", 0},
                                    {'l', "a", "s", 0}, {'h', "t", "s", 0});
        unpack_ok(f, tar, len);
        assert_true(S_ISLNK(lst(f, "a").st_mode));
        assert_content(f, "s", "file now");
        assert_content(f, "t", "file now");
        assert_int_equal(lst(f, "s").st_nlink, 2);
        assert_outside_empty(f);
}

static void test_replace_dir_rules(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(
                &len, {'d', "keep", NULL, 0755}, {'f', "keep/f", "kept", 0}, {'d', "keep", NULL, 0700},
                {'d', "gone/sub/deeper", NULL, 0}, {'f', "gone/sub/deeper/f", "x", 0}, {'f', "gone", "now a file", 0},
                {'f', "wasfile", "x", 0}, {'d', "wasfile", NULL, 0711}, {'d', "ln", NULL, 0}, {'l', "ln", "keep", 0});
        unpack_ok(f, tar, len);
        assert_int_equal(lst(f, "keep").st_mode & 07777, 0700);
        assert_content(f, "keep/f", "kept");
        assert_content(f, "gone", "now a file");
        struct stat st = lst(f, "wasfile");
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0711);
        assert_true(S_ISLNK(lst(f, "ln").st_mode));
}

/* ---- whiteouts ---- */

static void test_whiteout_overlay(void **state) {
        REQUIRE_ROOT("to create overlay whiteouts (0/0 devices)");
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "dir", NULL, 0}, {'f', "dir/.wh.gone", "", 0}, {'f', ".wh.top", "", 0},
                                    {'f', "missing/parent/.wh.x", "", 0});
        struct unpack_result res;
        unpack_ok_mode(f, tar, len, WHITEOUT_OVERLAY, &res);
        assert_int_equal(res.files, 4);
        const char *wh[] = {"dir/gone", "top", "missing/parent/x"};
        for (size_t i = 0; i < 3; i++) {
                struct stat st = lst(f, wh[i]);
                assert_true(S_ISCHR(st.st_mode));
                assert_int_equal(st.st_rdev, makedev(0, 0));
        }
        assert_false(exists(f, "dir/.wh.gone"));
        assert_false(exists(f, ".wh.top"));
}

static void test_opaque_overlay(void **state) {
        REQUIRE_ROOT("to set trusted.overlay.opaque");
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "dir", NULL, 0}, {'f', "dir/.wh..wh..opq", "", 0},
                                    {'f', "dir/new", "new", 0}, {'f', "dir/.wh..wh.plnk", "", 0});
        unpack_ok(f, tar, len);
        char path[256], buf[8];
        snprintf(path, sizeof(path), "%s/dir", f->root);
        assert_int_equal(getxattr(path, "trusted.overlay.opaque", buf, sizeof(buf)), 1);
        assert_int_equal(buf[0], 'y');
        assert_false(exists(f, "dir/.wh..wh..opq"));
        assert_false(exists(f, "dir/.wh..wh.plnk"));
        assert_content(f, "dir/new", "new");
}

static void populate_lower(struct fx *f) {
        assert_int_equal(mkdirat(f->rootfd, "etc", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "var", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "var/lib", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "d", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "d/sub", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "e", 0755), 0);
        assert_int_equal(mkdirat(f->rootfd, "e/sub", 0755), 0);
        const char *files[] = {"etc/old", "etc/keep", "var/lib/f", "d/lower", "d/sub/lower", "e/lower", "e/sub/lower"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                write_at(f, files[i], "lower");
}

static void test_whiteout_apply(void **state) {
        struct fx *f = *state;
        populate_lower(f);
        size_t len;
        AUTOFREE uint8_t *tar =
                TAR(&len, {'f', ".wh.var", "", 0}, {'f', "etc/.wh.old", "", 0}, {'f', "etc/.wh.never-existed", "", 0},
                    {'f', "nodir/.wh.x", "", 0}, {'f', "etc/old2", "new", 0});
        struct unpack_result res;
        unpack_ok_mode(f, tar, len, WHITEOUT_APPLY, &res);
        assert_false(exists(f, "var"));
        assert_false(exists(f, "etc/old"));
        assert_false(exists(f, "etc/.wh.old"));
        assert_false(exists(f, "nodir"));
        assert_content(f, "etc/keep", "lower");
        assert_content(f, "etc/old2", "new");
        assert_int_equal(res.files, 5);
}

static void test_opaque_apply(void **state) {
        struct fx *f = *state;
        populate_lower(f);
        size_t len;
        /* The marker before the new entries in d, after them in e. */
        AUTOFREE uint8_t *tar = TAR(&len, {'d', "d", NULL, 0}, {'f', "d/.wh..wh..opq", "", 0}, {'f', "d/new", "n", 0},
                                    {'f', "d/sub/new", "n", 0}, {'f', "e/new", "n", 0}, {'d', "e/sub", NULL, 0},
                                    {'f', "e/.wh..wh..opq", "", 0});
        unpack_ok_mode(f, tar, len, WHITEOUT_APPLY, &(struct unpack_result){0});
        assert_false(exists(f, "d/lower"));
        assert_false(exists(f, "d/sub/lower"));
        assert_false(exists(f, "e/lower"));
        assert_false(exists(f, "e/sub/lower"));
        assert_false(exists(f, "d/.wh..wh..opq"));
        assert_content(f, "d/new", "n");
        assert_content(f, "d/sub/new", "n");
        assert_content(f, "e/new", "n");
        assert_true(S_ISDIR(lst(f, "e/sub").st_mode));
        assert_content(f, "etc/keep", "lower");
}

static void test_whiteout_missing_overlay(void **state) {
        REQUIRE_ROOT("to create overlay whiteouts (0/0 devices)");
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "a/.wh.nothing", "", 0}, {'f', "a/.wh..wh..opq", "", 0});
        unpack_ok(f, tar, len);
        assert_true(S_ISCHR(lst(f, "a/nothing").st_mode));
}

static void test_bad_entries(void **state) {
        struct fx *f = *state;
        size_t len;
        AUTOFREE uint8_t *tar = TAR(&len, {'f', "f", "x", 0}, {'f', "f/under-a-file", "x", 0});
        expect_fail(f, tar, len, WHITEOUT_OVERLAY, "entry \"f/under-a-file\"");
        AUTOFREE uint8_t *tar2 = TAR(&len, {'d', "dd", NULL, 0}, {'h', "hd", "dd", 0});
        expect_fail(f, tar2, len, WHITEOUT_OVERLAY, "hard link to directory");
        AUTOFREE uint8_t *tar3 = TAR(&len, {'f', "..", "x", 0});
        expect_fail(f, tar3, len, WHITEOUT_OVERLAY, "escapes the layer root");
        AUTOFREE uint8_t *tar4 = TAR(&len, {'f', ".", "x", 0});
        expect_fail(f, tar4, len, WHITEOUT_OVERLAY, "only a directory can stand for the root");
        AUTOFREE uint8_t *tar5 = TAR(&len, {'h', "hr", "./", 0});
        expect_fail(f, tar5, len, WHITEOUT_OVERLAY, "hard link to the layer root");
        AUTOFREE uint8_t *tar6 = TAR(&len, {'l', "empty", "", 0});
        expect_fail(f, tar6, len, WHITEOUT_OVERLAY, "symlink without a target");
        AUTOFREE uint8_t *tar7 = TAR(&len, {'f', "self", "me", 0}, {'h', "self", "./self", 0});
        unpack_ok(f, tar7, len); /* a link to itself changes nothing */
        assert_content(f, "self", "me");
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_regular_file),
                T(test_owner),
                T(test_dirs_and_times),
                T(test_implicit_parents),
                T(test_root_entry),
                T(test_symlink),
                T(test_hardlink),
                T(test_devices_and_fifo),
                T(test_user_xattrs),
                T(test_security_capability_and_setuid),
                T(test_utf8_name),
                T(test_gzip_digests),
                T(test_zstd_digests),
                T(test_none_digests),
                T(test_trailing_padding_counted),
                T(test_concatenated_gzip),
                T(test_concatenated_zstd),
                T(test_mismatches),
                T(test_truncated_gzip),
                T(test_truncated_zstd_and_tar),
                T(test_corrupt_streams),
                T(test_garbage),
                T(test_source_error),
                T(test_large_file_odd_chunks),
                T(test_empty_tar),
                T(test_escape_dotdot),
                T(test_escape_deep_dotdot),
                T(test_absolute_paths_stay_inside),
                T(test_escape_symlink_write_through),
                T(test_escape_symlink_chain),
                T(test_escape_hardlinks),
                T(test_escape_dir_replaced_by_symlink),
                T(test_escape_via_whiteout),
                T(test_apply_writes_through_symlinks_in_root),
                T(test_replace_file_and_symlink),
                T(test_replace_dir_rules),
                T(test_whiteout_overlay),
                T(test_opaque_overlay),
                T(test_whiteout_apply),
                T(test_opaque_apply),
                T(test_whiteout_missing_overlay),
                T(test_bad_entries),
        };
#undef T
        return cmocka_run_group_tests_name("storage_unpack", tests, NULL, NULL);
}
