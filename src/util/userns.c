/* User namespaces from mappings, and idmapped bind mounts (open_tree + mount_setattr +
 * move_mount, Linux 5.12+). */
#include "util/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define HELPER_TIMEOUT_MS 30000

int idmap_check(const struct idmap *m, size_t n, const char *what, struct cric_error **err) {
        if (n == 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: no mapping", what);
        if (n > IDMAP_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "%s: %zu mappings, at most %d", what, n, IDMAP_MAX);
        for (size_t i = 0; i < n; i++) {
                uint64_t in_end = (uint64_t) m[i].container_id + m[i].length;
                uint64_t out_end = (uint64_t) m[i].host_id + m[i].length;
                if (m[i].length == 0 || in_end > UINT32_MAX || out_end > UINT32_MAX)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: mapping %u:%u:%u is empty or overflows", what,
                                              m[i].container_id, m[i].host_id, m[i].length);
                for (size_t k = 0; k < i; k++) {
                        bool in = m[i].container_id < (uint64_t) m[k].container_id + m[k].length &&
                                  m[k].container_id < in_end;
                        bool out = m[i].host_id < (uint64_t) m[k].host_id + m[k].length && m[k].host_id < out_end;
                        if (in || out)
                                return cric_error_set(err, CRIC_E_INVALID, "%s: mappings %u:%u:%u and %u:%u:%u overlap",
                                                      what, m[k].container_id, m[k].host_id, m[k].length,
                                                      m[i].container_id, m[i].host_id, m[i].length);
                }
        }
        return 0;
}

uint32_t idmap_to_host(const struct idmap *m, size_t n, uint32_t id) {
        for (size_t i = 0; i < n; i++)
                if (id >= m[i].container_id && (uint64_t) id < (uint64_t) m[i].container_id + m[i].length)
                        return m[i].host_id + (id - m[i].container_id);
        return UINT32_MAX;
}

static int write_map(pid_t pid, const char *file, const struct idmap *m, size_t n, struct cric_error **err) {
        size_t cap = n * 36 + 1, used = 0;
        AUTOFREE char *text = xmalloc(cap);
        text[0] = '\0';
        for (size_t i = 0; i < n; i++)
                used += (size_t) snprintf(text + used, cap - used, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                          m[i].length);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        AUTOCLOSE int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, used) != (ssize_t) used) /* one write: the kernel wants it whole */
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "write %s", path);
        return 0;
}

int userns_create(const struct idmap *uids, size_t n_uids, const struct idmap *gids, size_t n_gids, int *ret_fd,
                  struct cric_error **err) {
        if (idmap_check(uids, n_uids, "uid mappings", err) < 0 || idmap_check(gids, n_gids, "gid mappings", err) < 0)
                return -1;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socketpair");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "fork");
        }
        if (pid == 0) {       /* async-signal-safe calls only */
                close(sv[0]); /* else our read below never sees the parent's end close */
                char c = unshare(CLONE_NEWUSER) == 0;
                (void) send(sv[1], &c, 1, MSG_NOSIGNAL);
                (void) read(sv[1], &c, 1); /* until the parent is done with us */
                _exit(0);
        }
        close(sv[1]);
        AUTOCLOSE int sock = sv[0];
        char ok = 0;
        struct pollfd pfd = {.fd = sock, .events = POLLIN};
        int r = 0;
        if (poll(&pfd, 1, HELPER_TIMEOUT_MS) <= 0 || read(sock, &ok, 1) != 1 || !ok)
                r = cric_error_set(err, CRIC_E_INTERNAL, "the user namespace helper failed to unshare");
        if (r == 0)
                r = write_map(pid, "uid_map", uids, n_uids, err);
        if (r == 0)
                r = write_map(pid, "gid_map", gids, n_gids, err);
        if (r == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                *ret_fd = open(path, O_RDONLY | O_CLOEXEC);
                if (*ret_fd < 0)
                        r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", path);
        }
        close(STEAL_FD(sock)); /* the helper's read ends: it exits */
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        return r;
}

int idmap_bind(const char *src, const char *dst, int userns_fd, struct cric_error **err) {
        AUTOCLOSE int tree =
                (int) syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "clone the mount at %s", src);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd};
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return cric_error_errno(err, errno == EINVAL ? CRIC_E_INVALID : CRIC_E_INTERNAL, errno,
                                        "idmap the mount of %s (does its file system support idmapped mounts?)", src);
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mount %s at %s", src, dst);
        return 0;
}
