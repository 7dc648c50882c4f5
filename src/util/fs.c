#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int fs_mkdir_p(const char *path, mode_t mode, struct cric_error **err) {
        AUTOFREE char *p = xstrdup(path);
        size_t len = strlen(p);
        while (len > 1 && p[len - 1] == '/')
                p[--len] = '\0';
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", p);
        struct stat st;
        if (stat(p, &st) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", p);
        if (!S_ISDIR(st.st_mode))
                return cric_error_set(err, CRIC_E_INTERNAL, "%s exists and is not a directory", p);
        return 0;
}

int fs_read_fd(int fd, const char *what, size_t max_size, char **ret_data, size_t *ret_len, struct cric_error **err) {
        size_t cap = 4096, len = 0;
        AUTOFREE char *buf = xmalloc(cap);
        for (;;) {
                if (len + 1 >= cap)
                        buf = xgrow(buf, &cap, cap + 1, 1);
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read %s", what);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max_size)
                        return cric_error_set(err, CRIC_E_RESOURCE, "%s is larger than %zu bytes", what, max_size);
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret_data = STEAL_PTR(buf);
        return 0;
}

int fs_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len, struct cric_error **err) {
        AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno, "open %s",
                                        path);
        return fs_read_fd(fd, path, max_size, ret_data, ret_len, err);
}

int fs_write_all(int fd, const void *data, size_t len) {
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool is_durable,
                             struct cric_error **err) {
        AUTOFREE char *tmp = xasprintf("%s.tmp.XXXXXX", path);
        AUTOCLOSE int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "create %s", tmp);
        if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || (is_durable && fsync(fd) < 0)) {
                int e = errno;
                unlink(tmp);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "write %s", tmp);
        }
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "rename %s to %s", tmp, path);
        }
        return 0;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct cric_error **err) {
        return write_file_atomic(path, data, len, mode, true, err);
}

int fs_write_file_replace(const char *path, const void *data, size_t len, mode_t mode, struct cric_error **err) {
        return write_file_atomic(path, data, len, mode, false, err);
}

int fs_openat_beneath(int dirfd, const char *path, int flags, mode_t mode, bool in_root) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0,
                .resolve = (in_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_MAGICLINKS,
        };
        if (!*path)
                path = ".";
        for (int tries = 0; tries < 16; tries++) {
                long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN)
                        return (int) fd;
        }
        return -1;
}

int fs_is_executable(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *fs_find_in_path(const char *name) {
        if (!name || !*name)
                return NULL;
        if (strchr(name, '/'))
                return fs_is_executable(name) ? xstrdup(name) : NULL;
        const char *env = getenv("PATH");
        AUTOFREE char *path =
                xstrdup(env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        char *save = NULL;
        for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *full = xasprintf("%s/%s", dir, name);
                if (fs_is_executable(full))
                        return full;
                free(full);
        }
        return NULL;
}

int fs_read_file_optional(const char *path, size_t max_size, char **ret_data, struct cric_error **err) {
        struct cric_error *e = NULL;
        if (fs_read_file(path, max_size, ret_data, NULL, &e) == 0)
                return 1;
        if (e->kind == CRIC_E_NOT_FOUND) {
                cric_error_free(e);
                *ret_data = NULL;
                return 0;
        }
        return cric_error_move(err, &e);
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool has_suffix(const char *name, const char *suffix) {
        size_t n = strlen(name), sl = strlen(suffix);
        return n > sl && !strcmp(name + n - sl, suffix);
}

int fs_list_dir(const char *dir, const char *suffix, bool regular_only, char ***ret_names, struct cric_error **err) {
        AUTOCLOSEDIR DIR *d = opendir(dir);
        if (!d && errno != ENOENT && errno != ENOTDIR)
                return cric_error_errno(err, errno == EACCES ? CRIC_E_PERMISSION : CRIC_E_INTERNAL, errno, "open %s",
                                        dir);
        char **names = xcalloc(1, sizeof(char *));
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] == '.' || (suffix && !has_suffix(de->d_name, suffix)))
                        continue;
                if (regular_only && (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode)))
                        continue;
                strv_push(&names, de->d_name);
        }
        size_t n = strv_length(names);
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret_names = names;
        return 0;
}

char *fs_find_helper(const char *configured, const char *name) {
        if (configured && *configured && fs_is_executable(configured))
                return xstrdup(configured);
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
        if (slash) {
                *slash = 0;
                const char *rel[] = {"%s/%s", "%s/../libexec/cric/%s"};
                for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
                        char *p = xasprintf(rel[i], exe, name);
                        if (fs_is_executable(p))
                                return p;
                        free(p);
                }
        }
#ifdef CRIC_LIBEXECDIR
        char *p = xasprintf("%s/cric/%s", CRIC_LIBEXECDIR, name); /* where meson install puts it */
        if (fs_is_executable(p))
                return p;
        free(p);
#endif
        return fs_find_in_path(name);
}

int fs_read_file_in_root(int rootfd, const char *rel, size_t max_size, char **ret, struct cric_error **err) {
        AUTOCLOSE int fd = fs_openat_beneath(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, true);
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
                *ret = NULL;
                return 0;
        }
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open /%s in the container", rel);
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size > max_size)
                return cric_error_set(err, CRIC_E_INVALID, "/%s in the container is not a regular file of sane size",
                                      rel);
        AUTOFREE char *what = xasprintf("/%s in the container", rel);
        return fs_read_fd(fd, what, max_size, ret, NULL, err);
}
