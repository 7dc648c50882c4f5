/* Pinned pod namespaces. The daemon is threaded, so unshare() in the calling thread
 * would move that thread into the pod's namespaces; a short-lived child does it
 * instead, and pins them itself (bind mounts of its /proc/self/ns/<kind>: it stays in
 * the daemon's mount namespace). The child shares the daemon's memory and runs on a
 * stack of its own while the calling thread waits (CLONE_VM | CLONE_VFORK, like
 * posix_spawn): no copy of the daemon's page tables, no stall of its other threads.
 * So it only makes async-signal-safe calls (syscalls, strlen/memcpy): every string it
 * needs is built before, and its error text is assembled by hand and formatted
 * (strerror) by the parent. */
#include "network/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/internal.h"
#include "util/cleanup.h"
#include "util/forkrun.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/reap.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CHILD_TEXT_MAX   1024
#define CHILD_TIMEOUT_MS 30000
#define SYSCTL_KEY_MAX   256
#define SYSCTL_VALUE_MAX 4096

static const struct {
        unsigned kind;
        int clone_flag;
        const char *name; /* the /proc/<pid>/ns entry and the subdirectory */
        const char *self; /* the helper's own namespace file */
} ns_kinds[] = {
        {NETNS_NET, CLONE_NEWNET, "net", "/proc/self/ns/net"},
        {NETNS_IPC, CLONE_NEWIPC, "ipc", "/proc/self/ns/ipc"},
        {NETNS_UTS, CLONE_NEWUTS, "uts", "/proc/self/ns/uts"},
};
#define N_KINDS (sizeof(ns_kinds) / sizeof(ns_kinds[0]))

static char **pin_slot(struct pinned_ns *p, unsigned kind) {
        return kind == NETNS_NET ? &p->net : kind == NETNS_IPC ? &p->ipc : kind == NETNS_USER ? &p->user : &p->uts;
}

void pinned_ns_clear(struct pinned_ns *p) {
        if (!p)
                return;
        free(p->net);
        free(p->ipc);
        free(p->uts);
        free(p->user);
        *p = (struct pinned_ns){0};
}

char *netns_pin_path(const char *dir, unsigned kind, const char *pod_id) {
        if (kind == NETNS_USER)
                return xasprintf("%s/user/%s", dir ? dir : NETNS_DEFAULT_DIR, pod_id);
        for (size_t i = 0; i < N_KINDS; i++)
                if (ns_kinds[i].kind == kind)
                        return xasprintf("%s/%s/%s", dir ? dir : NETNS_DEFAULT_DIR, ns_kinds[i].name, pod_id);
        return NULL;
}

/* ---- validation (before the fork: the child cannot allocate) ---- */

static bool has_control_or_space(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return true;
        return false;
}

static int validate_pod_id(const char *id, struct cric_error **err) {
        if (!id || !*id || strlen(id) > NAME_MAX || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..") ||
            has_control_or_space(id))
                return cric_error_set(err, CRIC_E_INVALID, "invalid pod id \"%s\"", id ? id : "");
        return 0;
}

static int validate_hostname(const char *h, unsigned which, struct cric_error **err) {
        if (!h)
                return 0;
        if (!(which & NETNS_UTS))
                return cric_error_set(err, CRIC_E_INVALID, "a hostname needs a UTS namespace");
        size_t len = strlen(h);
        if (len == 0 || len > HOST_NAME_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "invalid hostname \"%s\": length must be 1 to %d", h,
                                      HOST_NAME_MAX);
        for (const char *p = h; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                      *p == '.' || *p == '_'))
                        return cric_error_set(err, CRIC_E_INVALID, "invalid hostname \"%s\"", h);
        return 0;
}

/* True when the first separator of key is a slash: then dots are part of names. */
static bool sysctl_is_slashed(const char *key) {
        size_t n = strcspn(key, "./");
        return key[n] == '/';
}

/* The namespace a sysctl lives in (its dotted spelling decides), 0 when none. */
static unsigned sysctl_namespace(const char *key) {
        AUTOFREE char *dotted = xstrdup(key);
        if (sysctl_is_slashed(key))
                for (char *p = dotted; *p; p++)
                        *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        if (!strncmp(dotted, "net.", 4))
                return NETNS_NET;
        if (!strncmp(dotted, "kernel.shm", 10) || !strncmp(dotted, "kernel.msg", 10) || !strcmp(dotted, "kernel.sem") ||
            !strncmp(dotted, "fs.mqueue.", 10))
                return NETNS_IPC;
        if (!strcmp(dotted, "kernel.domainname"))
                return NETNS_UTS;
        return 0;
}

/* "/proc/sys/<key as a path>", refusing empty, "." and ".." components. */
static char *sysctl_path(const char *key) {
        bool slashed = sysctl_is_slashed(key);
        AUTOFREE char *rel = xstrdup(key);
        if (!slashed)
                for (char *p = rel; *p; p++)
                        if (*p == '.')
                                *p = '/';
        char *save = NULL;
        AUTOFREE char *copy = xstrdup(rel);
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (!strcmp(c, ".") || !strcmp(c, ".."))
                        return NULL;
        size_t len = strlen(rel);
        if (len == 0 || rel[0] == '/' || rel[len - 1] == '/' || strstr(rel, "//"))
                return NULL;
        return xasprintf("/proc/sys/%s", rel);
}

static int validate_sysctl(const struct netns_sysctl *s, unsigned which, char **ret_path, struct cric_error **err) {
        const char *key = s->key ? s->key : "";
        if (!*key || strlen(key) > SYSCTL_KEY_MAX || has_control_or_space(key))
                return cric_error_set(err, CRIC_E_INVALID, "invalid sysctl name \"%s\"", key);
        if (!s->value || !*s->value || strlen(s->value) > SYSCTL_VALUE_MAX || strpbrk(s->value, "\n\r"))
                return cric_error_set(err, CRIC_E_INVALID, "invalid value for sysctl %s", key);
        unsigned ns = sysctl_namespace(key);
        if (!ns)
                return cric_error_set(err, CRIC_E_INVALID, "sysctl %s is not namespaced, refusing to set it for a pod",
                                      key);
        if (!(which & ns))
                return cric_error_set(err, CRIC_E_INVALID, "sysctl %s needs the pod's own %s namespace", key,
                                      ns == NETNS_NET   ? "network"
                                      : ns == NETNS_IPC ? "IPC"
                                                        : "UTS");
        char *path = sysctl_path(key);
        if (!path)
                return cric_error_set(err, CRIC_E_INVALID, "invalid sysctl name \"%s\"", key);
        *ret_path = path;
        return 0;
}

/* ---- the child ---- */

/* Everything the child needs, prepared before the fork. */
struct child_plan {
        int clone_flags;
        bool has_net;
        const char *hostname;
        size_t n_sysctls;
        const struct netns_sysctl *sysctls;
        char **paths;                 /* /proc/sys/... of each sysctl */
        const struct pinned_ns *pins; /* where to pin each namespace */
        const char *userns;           /* the pod's pinned user namespace, or NULL */
};

static void child_plan_clear(struct child_plan *p) {
        p->paths = strv_free(p->paths);
}

struct child_report {
        int32_t ok; /* 1: the namespaces are ready and pinned */
        int32_t kind;
        int32_t errnum;
        char text[CHILD_TEXT_MAX];
};

/* Appends the NULL-terminated list of strings to r->text, truncating. Async-signal-safe. */
static void report_text(struct child_report *r, ...) {
        va_list ap;
        va_start(ap, r);
        size_t used = strlen(r->text);
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
                size_t n = strlen(s);
                if (n > sizeof(r->text) - 1 - used)
                        n = sizeof(r->text) - 1 - used;
                memcpy(r->text + used, s, n);
                used += n;
                r->text[used] = '\0';
        }
        va_end(ap);
}

static _Noreturn void child_fail(int sock, struct child_report *r, int kind, int errnum) {
        r->ok = 0;
        r->kind = kind;
        r->errnum = errnum;
        (void) send(sock, r, sizeof(*r), MSG_NOSIGNAL);
        _exit(1);
}

static int loopback_up(void) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -1;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, "lo", 3);
        int r = ioctl(s, SIOCGIFFLAGS, &ifr);
        if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                r = ioctl(s, SIOCSIFFLAGS, &ifr);
        }
        int e = errno;
        close(s);
        errno = e;
        return r;
}

static int write_sysctl(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -1;
        size_t len = strlen(value);
        ssize_t n;
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        int e = n < 0 ? errno : n != (ssize_t) len ? EIO : 0;
        close(fd);
        errno = e;
        return e ? -1 : 0;
}

static int sysctl_error_kind(int e) {
        return e == ENOENT || e == EINVAL || e == ERANGE || e == EACCES || e == EPERM ? CRIC_E_INVALID
                                                                                      : CRIC_E_INTERNAL;
}

/* Closes every fd from 3 up but keep. Another thread's helper, forked while our
 * socketpair was open, holds a copy of it; dropping inherited fds first keeps helpers
 * from holding each other's ends open. */
static void close_inherited_fds(int keep) {
        if (keep > 3)
                close_range(3, (unsigned) keep - 1, 0);
        close_range((unsigned) (keep >= 3 ? keep + 1 : 3), ~0u, 0);
}

/* Runs in the child: only async-signal-safe calls from here on. */
static _Noreturn void child_main(const struct child_plan *p, int sock) {
        struct child_report r;
        memset(&r, 0, sizeof(r));
        close_inherited_fds(sock);
        /* Inside the pod's user namespace, as its root, the new namespaces are its own.
         * Our mounts no longer count there: the parent pins them (see spawn_and_pin). */
        if (p->userns) {
                int fd = open(p->userns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0 || setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 ||
                    setresuid(0, 0, 0) < 0) {
                        report_text(&r, "join the pod's user namespace", NULL);
                        child_fail(sock, &r, CRIC_E_INTERNAL, errno);
                }
                close(fd);
        }
        if (unshare(p->clone_flags) < 0) {
                report_text(&r, "unshare", NULL);
                child_fail(sock, &r, CRIC_E_INTERNAL, errno);
        }
        if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0) {
                report_text(&r, "set hostname \"", p->hostname, "\"", NULL);
                child_fail(sock, &r, errno == EINVAL ? CRIC_E_INVALID : CRIC_E_INTERNAL, errno);
        }
        if (p->has_net && loopback_up() < 0) {
                report_text(&r, "bring up loopback", NULL);
                child_fail(sock, &r, CRIC_E_INTERNAL, errno);
        }
        for (size_t i = 0; i < p->n_sysctls; i++) {
                if (write_sysctl(p->paths[i], p->sysctls[i].value) < 0) {
                        report_text(&r, "set sysctl ", p->sysctls[i].key, "=\"", p->sysctls[i].value, "\"", NULL);
                        child_fail(sock, &r, sysctl_error_kind(errno), errno);
                }
        }
        for (size_t i = 0; i < N_KINDS && !p->userns; i++) {
                const char *target = *pin_slot((struct pinned_ns *) p->pins, ns_kinds[i].kind);
                if (target && mount(ns_kinds[i].self, target, NULL, MS_BIND, NULL) < 0) {
                        report_text(&r, "bind mount ", ns_kinds[i].self, " onto ", target, NULL);
                        child_fail(sock, &r, CRIC_E_INTERNAL, errno);
                }
        }
        r.ok = 1;
        if (send(sock, &r, sizeof(r), MSG_NOSIGNAL) < 0)
                _exit(1);
        if (p->userns) {
                char c;
                (void) read(sock, &c, 1); /* alive until the parent has pinned us */
        }
        _exit(0);
}

struct child_args {
        const struct child_plan *plan;
        int sock;
};

static int child_entry(void *arg) {
        const struct child_args *a = arg;
        child_main(a->plan, a->sock);
}

/* ---- the parent ---- */

static int plan_build(const struct netns_opts *o, struct child_plan *p, struct cric_error **err) {
        for (size_t i = 0; i < N_KINDS; i++)
                if (o->which & ns_kinds[i].kind)
                        p->clone_flags |= ns_kinds[i].clone_flag;
        if ((o->which & NETNS_USER) && (idmap_check(o->uids, o->n_uids, "the pod's uid mappings", err) < 0 ||
                                        idmap_check(o->gids, o->n_gids, "the pod's gid mappings", err) < 0))
                return -1;
        p->has_net = o->which & NETNS_NET;
        p->hostname = o->hostname;
        p->sysctls = o->sysctls;
        p->n_sysctls = o->n_sysctls;
        p->paths = xcalloc(o->n_sysctls + 1, sizeof(char *));
        for (size_t i = 0; i < o->n_sysctls; i++)
                if (validate_sysctl(&o->sysctls[i], o->which, &p->paths[i], err) < 0)
                        return -1;
        return 0;
}

static int validate_opts(const struct netns_opts *o, struct cric_error **err) {
        if (!o)
                return cric_error_set(err, CRIC_E_INVALID, "no namespace options");
        if (validate_pod_id(o->pod_id, err) < 0)
                return -1;
        if (o->which == 0 || (o->which & ~(unsigned) NETNS_PINNED))
                return cric_error_set(err, CRIC_E_INVALID, "invalid namespace set 0x%x", o->which);
        if (o->n_sysctls && !o->sysctls)
                return cric_error_set(err, CRIC_E_INVALID, "%zu sysctls but no list", o->n_sysctls);
        return validate_hostname(o->hostname, o->which, err);
}

/* True when path is the root of a mount. Uses statx (Linux 5.8+), else mountinfo. */
static int is_mount_root(const char *path, bool *ret, struct cric_error **err) {
        struct statx stx;
        if (statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &stx) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", path);
        if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) {
                *ret = stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
                return 0;
        }
        AUTOFREE char *real = realpath(path, NULL);
        AUTOFCLOSE FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!real || !f)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "find the mount of %s", path);
        AUTOFREE char *line = NULL;
        size_t cap = 0;
        *ret = false;
        while (getline(&line, &cap, f) > 0) {
                char mnt[PATH_MAX];
                /* Field 5 is the mount point; paths with blanks are octal-escaped and never
                 * equal a realpath without blanks, which is all we need here. */
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strcmp(mnt, real))
                        *ret = true;
        }
        return 0;
}

/* Makes dir a private mount (a bind mount of itself, once), so the pins made under it
 * do not propagate into, and stay alive in, other mount namespaces. */
static int prepare_dir(const char *dir, unsigned which, struct cric_error **err) {
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&lock);
        bool mounted = false;
        int r = fs_mkdir_p(dir, 0755, err);
        if (r == 0)
                r = is_mount_root(dir, &mounted, err);
        if (r == 0 && !mounted && mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
                r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind mount %s onto itself", dir);
        if (r == 0 && mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0)
                r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "make %s a private mount", dir);
        pthread_mutex_unlock(&lock);
        for (size_t i = 0; r == 0 && i < N_KINDS; i++) {
                if (!(which & ns_kinds[i].kind))
                        continue;
                AUTOFREE char *sub = xasprintf("%s/%s", dir, ns_kinds[i].name);
                r = fs_mkdir_p(sub, 0755, err);
        }
        if (r == 0 && (which & NETNS_USER)) {
                AUTOFREE char *sub = xasprintf("%s/user", dir);
                r = fs_mkdir_p(sub, 0755, err);
        }
        return r;
}

/* Creates the empty files to mount onto. Records in *pins only the files it created,
 * so a failure cleans up ours and never another pod's. */
static int create_pin_files(const char *dir, const struct netns_opts *o, struct pinned_ns *pins,
                            struct cric_error **err) {
        static const unsigned kinds[] = {NETNS_NET, NETNS_IPC, NETNS_UTS, NETNS_USER};
        for (size_t i = 0; i < 4; i++) {
                if (!(o->which & kinds[i]))
                        continue;
                AUTOFREE char *path = netns_pin_path(dir, kinds[i], o->pod_id);
                int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
                if (fd < 0)
                        return cric_error_errno(err, errno == EEXIST ? CRIC_E_EXISTS : CRIC_E_INTERNAL, errno,
                                                "create %s", path);
                close(fd);
                *pin_slot(pins, kinds[i]) = STEAL_PTR(path);
        }
        return 0;
}

/* Reads one message of up to len bytes from a child, waiting at most CHILD_TIMEOUT_MS.
 * *ret_got is 0 when the child closed its end without writing. */
static int read_child(int fd, void *buf, size_t len, ssize_t *ret_got, struct cric_error **err) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n;
        do
                n = poll(&pfd, 1, CHILD_TIMEOUT_MS);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "wait for the helper process");
        if (n == 0)
                return cric_error_set(err, CRIC_E_TIMEOUT, "helper process gave no answer in %d ms", CHILD_TIMEOUT_MS);
        ssize_t got;
        do
                got = read(fd, buf, len);
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read from the helper process");
        *ret_got = got;
        return 0;
}

static int read_report(int sock, struct child_report *r, struct cric_error **err) {
        ssize_t got = 0;
        if (read_child(sock, r, sizeof(*r), &got, err) < 0)
                return -1;
        if (got != (ssize_t) sizeof(*r))
                return cric_error_set(err, CRIC_E_INTERNAL, "namespace helper died before it was ready");
        r->text[sizeof(r->text) - 1] = '\0';
        if (!r->ok) {
                int kind = r->kind >= 0 && r->kind < CRIC_E_KIND_MAX ? r->kind : CRIC_E_INTERNAL;
                return cric_error_errno(err, (enum cric_error_kind) kind, r->errnum, "%s", r->text);
        }
        return 0;
}

/* Reaps the child; returns its exit status, or -1 (with err) when it was killed. */
static int reap(pid_t pid, struct cric_error **err) {
        int status = 0;
        if (reap_child(pid, &status) < 0) {
                if (errno == ECHILD)
                        return 0; /* someone installed SIGCHLD=SIG_IGN: nothing to reap */
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "wait for pid %d", (int) pid);
        }
        char how[64];
        if (WIFSIGNALED(status))
                return cric_error_set(err, CRIC_E_INTERNAL, "namespace helper %s", exit_text(status, how, sizeof(how)));
        return WEXITSTATUS(status);
}

/* A helper in a pod's user namespace pins nothing itself (its mounts do not count in
 * our mount namespace): we pin its namespaces through /proc/<pid>/ns while it waits. */
static int pin_from_proc(const struct child_plan *plan, pid_t pid, struct cric_error **err) {
        for (size_t i = 0; i < N_KINDS; i++) {
                const char *target = *pin_slot((struct pinned_ns *) plan->pins, ns_kinds[i].kind);
                char from[64];
                snprintf(from, sizeof(from), "/proc/%d/ns/%s", (int) pid, ns_kinds[i].name);
                if (target && mount(from, target, NULL, MS_BIND, NULL) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind mount %s onto %s", from, target);
        }
        return 0;
}

/* The pod's user namespace, made with its mappings and pinned at pins->user. */
static int pin_userns(const struct netns_opts *o, const struct pinned_ns *pins, struct cric_error **err) {
        int fd = -1;
        if (userns_create(o->uids, o->n_uids, o->gids, o->n_gids, &fd, err) < 0)
                return -1;
        AUTOCLOSE int ns = fd;
        char from[64];
        snprintf(from, sizeof(from), "/proc/self/fd/%d", ns);
        if (mount(from, pins->user, NULL, MS_BIND, NULL) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind mount the user namespace onto %s",
                                        pins->user);
        return 0;
}

/* Runs the helper and reads its report. Without a user namespace it runs with
 * CLONE_VFORK (clone returns once it has exited, its report waiting on the socket).
 * In a pod's user namespace it is forked, as it has to wait for us to pin it. */
static int spawn_and_pin(const struct child_plan *plan, struct cric_error **err) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socketpair");
        AUTOCLOSE int ours = sv[0], theirs = sv[1];
        struct child_args args = {.plan = plan, .sock = theirs};
        pid_t pid = plan->userns ? fork() : vforkrun(child_entry, &args);
        if (pid == 0)
                child_main(plan, theirs);
        int e = errno;
        close(STEAL_FD(theirs)); /* EOF after the helper's report */
        if (pid < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "start the namespace helper");
        struct child_report report = {0};
        int r = read_report(ours, &report, err);
        if (plan->userns) {
                if (r == 0)
                        r = pin_from_proc(plan, pid, err);
                close(STEAL_FD(ours)); /* the helper's read ends: it exits */
                if (r < 0)
                        kill(pid, SIGKILL);
        }
        struct cric_error *reap_err = NULL;
        int status = reap(pid, &reap_err);
        if (r == 0 && status < 0)
                r = cric_error_move(err, &reap_err);
        else if (r == 0 && status > 0)
                r = cric_error_set(err, CRIC_E_INTERNAL, "namespace helper exited with status %d", status);
        cric_error_free(reap_err);
        return r;
}

int netns_pin(const struct netns_opts *o, struct pinned_ns *ret, struct cric_error **err) {
        if (validate_opts(o, err) < 0)
                return o && o->pod_id ? cric_error_prefix(err, "pin namespaces of pod %s", o->pod_id) : -1;
        CLEANUP(child_plan_clear) struct child_plan plan = {0};
        if (plan_build(o, &plan, err) < 0)
                return cric_error_prefix(err, "pin namespaces of pod %s", o->pod_id);
        const char *dir = o->dir ? o->dir : NETNS_DEFAULT_DIR;
        if (prepare_dir(dir, o->which, err) < 0)
                return cric_error_prefix(err, "pin namespaces of pod %s", o->pod_id);
        struct pinned_ns pins = {0};
        plan.pins = &pins;
        int r = create_pin_files(dir, o, &pins, err);
        if (r == 0 && (o->which & NETNS_USER)) {
                r = pin_userns(o, &pins, err);
                plan.userns = pins.user;
        }
        if (r == 0 && plan.clone_flags)
                r = spawn_and_pin(&plan, err);
        if (r < 0) {
                struct cric_error *cleanup_err = NULL;
                if (netns_unpin(&pins, &cleanup_err) < 0)
                        cric_error_log_free(&cleanup_err, "pod %s: clean up after a failed pin, ignoring", o->pod_id);
                pinned_ns_clear(&pins);
                return cric_error_prefix(err, "pin namespaces of pod %s", o->pod_id);
        }
        log_debug("pinned namespaces of pod %s under %s", o->pod_id, dir);
        *ret = pins;
        return 0;
}

static int unpin_one(const char *path, struct cric_error **err) {
        if (!path)
                return 0;
        /* Loop: a file pinned twice by accident has two mounts stacked on it. */
        for (int i = 0; i < 16; i++) {
                if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                        continue;
                if (errno == EINVAL || errno == ENOENT)
                        break;
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "unmount %s", path);
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "remove %s", path);
        return 0;
}

int netns_unpin(const struct pinned_ns *p, struct cric_error **err) {
        if (!p)
                return 0;
        int r = 0;
        const char *paths[] = {p->net, p->ipc, p->uts, p->user};
        for (size_t i = 0; i < 4; i++) {
                struct cric_error *e = NULL;
                if (unpin_one(paths[i], &e) < 0 && r == 0) /* report the first failure, go on */
                        r = cric_error_move(err, &e);
                cric_error_free(e);
        }
        return r;
}

/* ---- running code inside a pinned netns ---- */

struct enter_report {
        int32_t joined; /* 0: setns failed with errnum; 1: fn returned errnum */
        int32_t errnum;
};

struct enter_job {
        int nsfd;
        int (*fn)(void *);
        void *arg;
};

/* forkrun child: async-signal-safe calls only. */
static void enter_child(void *data, int out) {
        const struct enter_job *job = data;
        struct enter_report rep = {0, 0};
        if (setns(job->nsfd, CLONE_NEWNET) < 0) {
                rep.errnum = errno;
        } else {
                rep.joined = 1;
                rep.errnum = job->fn(job->arg);
        }
        (void) write(out, &rep, sizeof(rep));
}

static int enter_result(const struct enter_report *rep, ssize_t got, const char *path, struct cric_error **err) {
        if (got != (ssize_t) sizeof(*rep))
                return cric_error_set(err, CRIC_E_INTERNAL, "helper in netns %s died", path);
        if (!rep->joined)
                return cric_error_errno(err, rep->errnum == EINVAL ? CRIC_E_INVALID : CRIC_E_INTERNAL, rep->errnum,
                                        "join netns %s", path);
        if (rep->errnum != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, rep->errnum > 0 ? rep->errnum : EIO, "in netns %s", path);
        return 0;
}

int netns_enter_run(const char *netns_path, int (*fn)(void *), void *arg, struct cric_error **err) {
        AUTOCLOSE int nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno, "open %s",
                                        netns_path);
        struct enter_job job = {.nsfd = nsfd, .fn = fn, .arg = arg};
        struct enter_report rep = {0, 0};
        ssize_t got = 0;
        if (forkrun(enter_child, &job, &rep, sizeof(rep), CHILD_TIMEOUT_MS, "helper process", &got, err) < 0)
                return -1;
        return enter_result(&rep, got, netns_path, err);
}
