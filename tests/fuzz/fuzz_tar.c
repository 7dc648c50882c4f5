/* libFuzzer target for the layer unpacker (src/storage/unpack*.c): tar headers,
 * paths, links, whiteouts, and the gzip/zstd/none stream chain under them.
 *
 * Each input is unpacked into a fresh /tmp/fuzz-tar-XXXXXX/root. Around it sit a
 * sibling directory "outside" (must stay empty) and a sibling file "canary" (must
 * keep its content, mode and single link); /etc/passwd must keep its link count and
 * no absolute canary path may appear. Any breach aborts. Inputs of odd length are
 * unpacked in WHITEOUT_APPLY mode over a few "lower layer" files, the rest in
 * WHITEOUT_OVERLAY mode, so both whiteout paths get fuzzed. The input is fed in
 * odd-sized chunks to exercise the decompressors' refills; uncompressed inputs get
 * their header checksums fixed first. Failing to unpack is fine; escaping is not. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/archive_lazy.h"
#include "storage/unpack.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CANARY "canary: do not touch"

static const char *const absolute_canaries[] = {"/tmp/fuzz-tar-pwned", "/fuzz-tar-pwned", "/etc/fuzz-tar-pwned"};

struct mem_src {
        const uint8_t *p;
        size_t len, pos;
        unsigned calls;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct cric_error **err) {
        static const size_t chunks[] = {4093, 1, 517, 65536, 31};
        struct mem_src *m = ctx;
        (void) err;
        size_t n = m->len - m->pos;
        size_t limit = chunks[m->calls++ % 5];
        if (n > limit)
                n = limit;
        if (n > len)
                n = len;
        memcpy(buf, m->p + m->pos, n);
        m->pos += n;
        return (ssize_t) n;
}

/* libarchive is not instrumented, so the fuzzer cannot learn the header checksum:
 * walk an uncompressed input header by header and make each checksum right, so
 * that mutated headers reach the unpacker instead of "Damaged tar archive". */
static void fix_checksums(uint8_t *buf, size_t len) {
        static const uint8_t zero[512];
        size_t off = 0;
        while (len >= 512 && off <= len - 512) {
                uint8_t *h = buf + off;
                if (!memcmp(h, zero, sizeof(zero))) {
                        off += 512;
                        continue;
                }
                unsigned sum = 0;
                memset(h + 148, ' ', 8);
                for (size_t i = 0; i < 512; i++)
                        sum += h[i];
                char cks[8];
                snprintf(cks, sizeof(cks), "%06o", sum & 0777777);
                memcpy(h + 148, cks, 7);
                uint64_t size = 0;
                for (size_t i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
                        size = size * 8 + (uint64_t) (h[i] - '0');
                if (size > len)
                        break;
                off += 512 + (size + 511) / 512 * 512;
        }
}

static bool is_compressed(const uint8_t *data, size_t size) {
        return (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) || (size >= 4 && !memcmp(data, "\x28\xb5\x2f\xfd", 4));
}

static void die(const char *base, const char *what) {
        fprintf(stderr, "fuzz_tar: %s (in %s)\n", what, base);
        abort();
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        unlinkat(AT_FDCWD, path, type == FTW_DP ? AT_REMOVEDIR : 0);
        return 0;
}

static void write_file(const char *path, const char *content, mode_t mode) {
        AUTOCLOSE int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t) strlen(content))
                die(path, "cannot write a fixture file");
}

static void make_lower(const char *root) {
        char path[256];
        static const char *const dirs[] = {"d", "d/sub", "etc"};
        static const char *const files[] = {"d/f", "d/sub/f", "etc/passwd", "x"};
        for (size_t i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                mkdir(path, 0755);
        }
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/%s", root, files[i]);
                write_file(path, "lower", 0644);
        }
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        if (!d)
                return (size_t) -1;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        closedir(d);
        return n;
}

static void check_fences(const char *base, nlink_t passwd_links) {
        char path[256];
        if (count_entries(base) != 3)
                die(base, "an entry appeared next to the root");
        snprintf(path, sizeof(path), "%s/outside", base);
        if (count_entries(path) != 0)
                die(base, "something was written outside the root");
        snprintf(path, sizeof(path), "%s/root", base);
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                die(base, "the root itself was replaced");
        snprintf(path, sizeof(path), "%s/canary", base);
        char buf[64] = {0};
        AUTOCLOSE int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
                die(base, "the canary is gone");
        if (strcmp(buf, CANARY) != 0 || st.st_nlink != 1 || (st.st_mode & 07777) != 0600 || st.st_uid != geteuid())
                die(base, "the canary was changed or linked");
        if (stat("/etc/passwd", &st) == 0 && st.st_nlink != passwd_links)
                die(base, "/etc/passwd got a new link");
        for (size_t i = 0; i < sizeof(absolute_canaries) / sizeof(absolute_canaries[0]); i++)
                if (access(absolute_canaries[i], F_OK) == 0)
                        die(absolute_canaries[i], "an absolute path was written");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static nlink_t passwd_links;
        static bool ready;
        if (!ready) {
                log_set_level(LOG_LEVEL_ERROR);
                struct stat st;
                passwd_links = stat("/etc/passwd", &st) == 0 ? st.st_nlink : 0;
                /* Keep libarchive loaded: unpacking loads and unloads it per layer. */
                if (lazylib_acquire(&archive_lib, NULL) < 0)
                        abort();
                ready = true;
        }
        char base[] = "/tmp/fuzz-tar-XXXXXX", root[64], path[64];
        if (!mkdtemp(base))
                die(base, "mkdtemp failed");
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(path, sizeof(path), "%s/outside", base);
        if (mkdir(root, 0755) < 0 || mkdir(path, 0755) < 0)
                die(base, "mkdir failed");
        snprintf(path, sizeof(path), "%s/canary", base);
        write_file(path, CANARY, 0600);
        enum whiteout_mode mode = size % 2 ? WHITEOUT_APPLY : WHITEOUT_OVERLAY;
        if (mode == WHITEOUT_APPLY)
                make_lower(root);

        int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                die(base, "open root failed");
        AUTOFREE uint8_t *copy = NULL;
        if (!is_compressed(data, size) && size > 0) {
                copy = malloc(size);
                if (!copy)
                        die(base, "out of memory");
                memcpy(copy, data, size);
                fix_checksums(copy, size);
                data = copy;
        }
        struct mem_src m = {.p = data, .len = size};
        struct unpack_source src = {mem_read, &m};
        struct unpack_opts opts = {.expected_size = -1, .whiteouts = mode};
        struct unpack_result res;
        struct cric_error *err = NULL;
        int r = layer_unpack(rootfd, &src, &opts, &res, &err);
        if (r < 0 && (!err || !err->msg || !*err->msg))
                die(base, "failure without an error message");
        if (r == 0 && (err || res.compressed_size != (int64_t) size))
                die(base, "success without reading the whole input");
        cric_error_free(err);
        close(rootfd);

        check_fences(base, passwd_links);
        nftw(base, rm_entry, 64, FTW_DEPTH | FTW_PHYS);
        return 0;
}
