#include "util/sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The seals crun and runc look for (all four, exactly). */
#define SEALS      (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define MAX_COPIES 8

struct copy {
        char *path;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        int fd;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct copy copies[MAX_COPIES];
static size_t n_copies;

static bool same_file(const struct copy *c, const struct stat *st) {
        return c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
               c->mtime.tv_sec == st->st_mtim.tv_sec && c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* A sealed memfd holding the bytes of src (size bytes). */
static int make_copy(const char *path, int src, off_t size, struct cric_error **err) {
        const char *base = strrchr(path, '/');
        AUTOCLOSE int fd = memfd_create(base ? base + 1 : path, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return cric_error_errno(err, errno == ENOSYS || errno == EINVAL ? CRIC_E_UNAVAILABLE : CRIC_E_INTERNAL,
                                        errno, "memfd_create for %s", path);
        off_t off = 0;
        while (off < size) {
                ssize_t n = sendfile(fd, src, &off, (size_t) (size - off));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "copy %s into memory", path);
                if (n == 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "copy %s into memory: it shrank while copied",
                                              path);
        }
        if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
                return cric_error_errno(err, errno == EINVAL ? CRIC_E_UNAVAILABLE : CRIC_E_INTERNAL, errno,
                                        "seal the copy of %s", path);
        /* It runs through its /proc path: no /proc, no copy. */
        char proc_path[32];
        if (access(sealed_exe_path(fd, proc_path, sizeof(proc_path)), X_OK) < 0)
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "run the copy of %s through %s", path,
                                        proc_path);
        return STEAL_FD(fd);
}

static struct copy *find(const char *path) {
        for (size_t i = 0; i < n_copies; i++)
                if (strcmp(copies[i].path, path) == 0)
                        return &copies[i];
        return NULL;
}

/* Called with lock held: the entry for path, its copy up to date with st. */
static int refresh(const char *path, int src, const struct stat *st, struct cric_error **err) {
        struct copy *c = find(path);
        if (c && same_file(c, st))
                return c->fd;
        int fd = make_copy(path, src, st->st_size, err);
        if (fd < 0)
                return -1;
        if (!c) {
                if (n_copies == MAX_COPIES) { /* more runtimes than that: replace the oldest */
                        close(copies[0].fd);
                        free(copies[0].path);
                        memmove(&copies[0], &copies[1], (MAX_COPIES - 1) * sizeof(copies[0]));
                        n_copies--;
                }
                c = &copies[n_copies++];
                c->path = xstrdup(path);
                log_info("running %s from a sealed copy in memory (%lld bytes)", path, (long long) st->st_size);
        } else {
                close(c->fd);
                log_info("%s changed on disk: running the new binary from now on", path);
        }
        c->dev = st->st_dev;
        c->ino = st->st_ino;
        c->size = st->st_size;
        c->mtime = st->st_mtim;
        c->fd = fd;
        return fd;
}

int sealed_exe_fd(const char *path, struct cric_error **err) {
        if (!path || path[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: not an absolute path", path ? path : "(null)");
        AUTOCLOSE int src = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (src < 0 || fstat(src, &st) < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno, "open %s",
                                        path);
        if (!S_ISREG(st.st_mode))
                return cric_error_set(err, CRIC_E_INVALID, "%s: not a regular file", path);
        /* A script runs through its interpreter, which opens the path again: it would
         * find the descriptor closed. Only ELF binaries run from a copy. */
        static const char elf_magic[4] = {0x7f, 'E', 'L', 'F'};
        char magic[4];
        if (pread(src, magic, sizeof(magic), 0) != (ssize_t) sizeof(magic) || memcmp(magic, elf_magic, 4) != 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: not an ELF binary", path);
        pthread_mutex_lock(&lock);
        int fd = refresh(path, src, &st, err);
        int r = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
        int saved = errno;
        pthread_mutex_unlock(&lock);
        if (fd >= 0 && r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, saved, "dup the copy of %s", path);
        return r;
}

int sealed_exe_try(const char *path) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        int fd = sealed_exe_fd(path, &e);
        if (fd < 0)
                log_debug("running %s from its file: %s", path, e->msg);
        return fd;
}

char *sealed_exe_path(int fd, char *buf, size_t size) {
        snprintf(buf, size, "/proc/self/fd/%d", fd);
        return buf;
}

void sealed_exe_reset(void) {
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < n_copies; i++) {
                close(copies[i].fd);
                free(copies[i].path);
        }
        n_copies = 0;
        pthread_mutex_unlock(&lock);
}
