/* The RuntimeDefault seccomp profile: every syscall fails with EPERM except an allow
 * list. The list keeps what ordinary programs use and leaves out what reaches kernel
 * state shared with the host (modules, kexec, mounts and namespaces, keyrings, clocks,
 * swap, BPF, perf, io_uring, userfaultfd, obsolete interfaces). Some of those come back
 * when the process holds the capability that guards them anyway, so a container given
 * CAP_SYS_ADMIN can mount and one given CAP_SYS_TIME can set the clock.
 *
 * Syscalls unknown to the runtime's libseccomp for an architecture are skipped by it,
 * so one list serves the native architecture and its compat ones. */
#include <string.h>

#include "oci/internal.h"

#define BIT(n) (UINT64_C(1) << (n))

/* Capability numbers used below (linux/capability.h). */
enum {
        C_DAC_READ_SEARCH = 2,
        C_SYS_MODULE = 16,
        C_SYS_RAWIO = 17,
        C_SYS_CHROOT = 18,
        C_SYS_PTRACE = 19,
        C_SYS_PACCT = 20,
        C_SYS_ADMIN = 21,
        C_SYS_BOOT = 22,
        C_SYS_NICE = 23,
        C_SYS_TIME = 25,
        C_SYS_TTY_CONFIG = 26,
        C_SYSLOG = 34,
        C_PERFMON = 38,
        C_BPF = 39,
};

static const char *const allowed[] = {
        "accept",
        "accept4",
        "access",
        "adjtimex",
        "alarm",
        "bind",
        "brk",
        "cachestat",
        "capget",
        "capset",
        "chdir",
        "chmod",
        "chown",
        "chown32",
        "clock_adjtime",
        "clock_adjtime64",
        "clock_getres",
        "clock_getres_time64",
        "clock_gettime",
        "clock_gettime64",
        "clock_nanosleep",
        "clock_nanosleep_time64",
        "close",
        "close_range",
        "connect",
        "copy_file_range",
        "creat",
        "dup",
        "dup2",
        "dup3",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_ctl_old",
        "epoll_pwait",
        "epoll_pwait2",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "eventfd2",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "faccessat",
        "faccessat2",
        "fadvise64",
        "fadvise64_64",
        "fallocate",
        "fanotify_mark",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchmodat2",
        "fchown",
        "fchown32",
        "fchownat",
        "fcntl",
        "fcntl64",
        "fdatasync",
        "fgetxattr",
        "flistxattr",
        "flock",
        "fork",
        "fremovexattr",
        "fsetxattr",
        "fstat",
        "fstat64",
        "fstatat64",
        "fstatfs",
        "fstatfs64",
        "fsync",
        "ftruncate",
        "ftruncate64",
        "futex",
        "futex_requeue",
        "futex_time64",
        "futex_wait",
        "futex_waitv",
        "futex_wake",
        "futimesat",
        "get_robust_list",
        "get_thread_area",
        "getcpu",
        "getcwd",
        "getdents",
        "getdents64",
        "getegid",
        "getegid32",
        "geteuid",
        "geteuid32",
        "getgid",
        "getgid32",
        "getgroups",
        "getgroups32",
        "getitimer",
        "getpeername",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getpriority",
        "getrandom",
        "getresgid",
        "getresgid32",
        "getresuid",
        "getresuid32",
        "getrlimit",
        "getrusage",
        "getsid",
        "getsockname",
        "getsockopt",
        "gettid",
        "gettimeofday",
        "getuid",
        "getuid32",
        "getxattr",
        "getxattrat",
        "inotify_add_watch",
        "inotify_init",
        "inotify_init1",
        "inotify_rm_watch",
        "io_cancel",
        "io_destroy",
        "io_getevents",
        "io_pgetevents",
        "io_pgetevents_time64",
        "io_setup",
        "io_submit",
        "ioctl",
        "ioprio_get",
        "ioprio_set",
        "ipc",
        "kill",
        "landlock_add_rule",
        "landlock_create_ruleset",
        "landlock_restrict_self",
        "lchown",
        "lchown32",
        "lgetxattr",
        "link",
        "linkat",
        "listen",
        "listmount",
        "listxattr",
        "listxattrat",
        "llistxattr",
        "_llseek",
        "lremovexattr",
        "lseek",
        "lsetxattr",
        "lstat",
        "lstat64",
        "madvise",
        "map_shadow_stack",
        "membarrier",
        "memfd_create",
        "memfd_secret",
        "mincore",
        "mkdir",
        "mkdirat",
        "mknod",
        "mknodat",
        "mlock",
        "mlock2",
        "mlockall",
        "mmap",
        "mmap2",
        "mprotect",
        "mq_getsetattr",
        "mq_notify",
        "mq_open",
        "mq_timedreceive",
        "mq_timedreceive_time64",
        "mq_timedsend",
        "mq_timedsend_time64",
        "mq_unlink",
        "mremap",
        "mseal",
        "msgctl",
        "msgget",
        "msgrcv",
        "msgsnd",
        "msync",
        "munlock",
        "munlockall",
        "munmap",
        "name_to_handle_at",
        "nanosleep",
        "newfstatat",
        "_newselect",
        "open",
        "openat",
        "openat2",
        "pause",
        "pidfd_open",
        "pidfd_send_signal",
        "pipe",
        "pipe2",
        "pkey_alloc",
        "pkey_free",
        "pkey_mprotect",
        "poll",
        "ppoll",
        "ppoll_time64",
        "prctl",
        "pread64",
        "preadv",
        "preadv2",
        "prlimit64",
        "process_mrelease",
        "process_vm_readv",
        "process_vm_writev",
        "pselect6",
        "pselect6_time64",
        "ptrace",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "read",
        "readahead",
        "readlink",
        "readlinkat",
        "readv",
        "recv",
        "recvfrom",
        "recvmmsg",
        "recvmmsg_time64",
        "recvmsg",
        "remap_file_pages",
        "removexattr",
        "removexattrat",
        "rename",
        "renameat",
        "renameat2",
        "restart_syscall",
        "rmdir",
        "rseq",
        "rt_sigaction",
        "rt_sigpending",
        "rt_sigprocmask",
        "rt_sigqueueinfo",
        "rt_sigreturn",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "rt_sigtimedwait_time64",
        "rt_tgsigqueueinfo",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_getaffinity",
        "sched_getattr",
        "sched_getparam",
        "sched_getscheduler",
        "sched_rr_get_interval",
        "sched_rr_get_interval_time64",
        "sched_setaffinity",
        "sched_setattr",
        "sched_setparam",
        "sched_setscheduler",
        "sched_yield",
        "seccomp",
        "select",
        "semctl",
        "semget",
        "semop",
        "semtimedop",
        "semtimedop_time64",
        "send",
        "sendfile",
        "sendfile64",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "set_robust_list",
        "set_thread_area",
        "set_tid_address",
        "setfsgid",
        "setfsgid32",
        "setfsuid",
        "setfsuid32",
        "setgid",
        "setgid32",
        "setgroups",
        "setgroups32",
        "setitimer",
        "setpgid",
        "setpriority",
        "setregid",
        "setregid32",
        "setresgid",
        "setresgid32",
        "setresuid",
        "setresuid32",
        "setreuid",
        "setreuid32",
        "setrlimit",
        "setsid",
        "setsockopt",
        "setuid",
        "setuid32",
        "setxattr",
        "setxattrat",
        "shmat",
        "shmctl",
        "shmdt",
        "shmget",
        "shutdown",
        "sigaltstack",
        "signalfd",
        "signalfd4",
        "sigprocmask",
        "sigreturn",
        "socketcall",
        "socketpair",
        "splice",
        "stat",
        "stat64",
        "statfs",
        "statfs64",
        "statmount",
        "statx",
        "symlink",
        "symlinkat",
        "sync",
        "sync_file_range",
        "syncfs",
        "sysinfo",
        "tee",
        "tgkill",
        "time",
        "timer_create",
        "timer_delete",
        "timer_getoverrun",
        "timer_gettime",
        "timer_gettime64",
        "timer_settime",
        "timer_settime64",
        "timerfd_create",
        "timerfd_gettime",
        "timerfd_gettime64",
        "timerfd_settime",
        "timerfd_settime64",
        "times",
        "tkill",
        "truncate",
        "truncate64",
        "ugetrlimit",
        "umask",
        "uname",
        "unlink",
        "unlinkat",
        "uretprobe",
        "utime",
        "utimensat",
        "utimensat_time64",
        "utimes",
        "vfork",
        "vmsplice",
        "wait4",
        "waitid",
        "waitpid",
        "write",
        "writev",
#if defined(__x86_64__) || defined(__i386__)
        "arch_prctl",
#endif
#if defined(__aarch64__) || defined(__arm__)
        "arm_fadvise64_64",
        "arm_sync_file_range",
        "breakpoint",
        "cacheflush",
        "set_tls",
        "sync_file_range2",
#endif
        NULL,
};

static const char *const sys_admin[] = {
        "bpf",       "clone",           "clone3",         "fanotify_init", "fsconfig",      "fsmount",
        "fsopen",    "fspick",          "lookup_dcookie", "mount",         "mount_setattr", "move_mount",
        "open_tree", "perf_event_open", "quotactl",       "quotactl_fd",   "setdomainname", "sethostname",
        "setns",     "syslog",          "umount",         "umount2",       "unshare",       NULL,
};
static const char *const sys_boot[] = {"reboot", NULL};
static const char *const sys_chroot[] = {"chroot", NULL};
static const char *const sys_module[] = {"delete_module", "finit_module", "init_module", NULL};
static const char *const sys_pacct[] = {"acct", NULL};
static const char *const sys_ptrace[] = {"kcmp", "pidfd_getfd", "process_madvise", NULL};
static const char *const sys_rawio[] = {"ioperm", "iopl", NULL};
static const char *const sys_time[] = {"clock_settime", "clock_settime64", "settimeofday", "stime", NULL};
static const char *const sys_tty_config[] = {"vhangup", NULL};
static const char *const sys_nice[] = {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node", NULL};
static const char *const syslog_caps[] = {"syslog", NULL};
static const char *const bpf_caps[] = {"bpf", NULL};
static const char *const perfmon[] = {"perf_event_open", NULL};
static const char *const dac_read_search[] = {"open_by_handle_at", NULL};

static const struct {
        int cap;
        const char *const *names;
} cap_groups[] = {
        {C_SYS_ADMIN, sys_admin},
        {C_SYS_BOOT, sys_boot},
        {C_SYS_CHROOT, sys_chroot},
        {C_SYS_MODULE, sys_module},
        {C_SYS_PACCT, sys_pacct},
        {C_SYS_PTRACE, sys_ptrace},
        {C_SYS_RAWIO, sys_rawio},
        {C_SYS_TIME, sys_time},
        {C_SYS_TTY_CONFIG, sys_tty_config},
        {C_SYS_NICE, sys_nice},
        {C_SYSLOG, syslog_caps},
        {C_BPF, bpf_caps},
        {C_PERFMON, perfmon},
        {C_DAC_READ_SEARCH, dac_read_search},
};

/* personality(2) values that only change how the process looks, not what it can do:
 * PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and the query 0xffffffff. */
static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* clone(2) flags that make namespaces: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
#define CLONE_NS_FLAGS  0x7E020000ULL
#define AF_VSOCK_FAMILY 40 /* vsock reaches the host (or hypervisor) beside the pod network */
#define ERRNO_ENOSYS    38

static struct json_object *arg_cmp(unsigned index, uint64_t value, uint64_t value_two, const char *op) {
        struct json_object *a = jx_object();
        jx_add(a, "index", jx_int64(index));
        jx_add(a, "value", jx_uint64(value));
        if (value_two)
                jx_add(a, "valueTwo", jx_uint64(value_two));
        else if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0) /* the expected value after masking */
                jx_add(a, "valueTwo", jx_uint64(0));
        spec_set_str(a, "op", op);
        return a;
}

static struct json_object *rule(const char *name, const char *action, struct json_object *arg) {
        struct json_object *r = jx_object(), *names = jx_array();
        jx_append(names, jx_string(name));
        jx_add(r, "names", names);
        spec_set_str(r, "action", action);
        if (arg) {
                struct json_object *args = jx_array();
                jx_append(args, arg);
                jx_add(r, "args", args);
        }
        return r;
}

static bool has_name(struct json_object *names, const char *name) {
        for (size_t i = 0; i < json_object_array_length(names); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name) == 0)
                        return true;
        return false;
}

/* Groups overlap (bpf with CAP_SYS_ADMIN or CAP_BPF): each name once. */
static void add_names(struct json_object *names, const char *const *list) {
        for (; *list; list++)
                if (!has_name(names, *list))
                        jx_append(names, jx_string(*list));
}

static struct json_object *allow_rule(uint64_t caps) {
        struct json_object *r = jx_object(), *names = jx_array();
        for (const char *const *n = allowed; *n; n++)
                jx_append(names, jx_string(*n));
        for (size_t i = 0; i < sizeof(cap_groups) / sizeof(cap_groups[0]); i++)
                if (caps & BIT(cap_groups[i].cap))
                        add_names(names, cap_groups[i].names);
        jx_add(r, "names", names);
        spec_set_str(r, "action", "SCMP_ACT_ALLOW");
        return r;
}

static struct json_object *architectures(void) {
        struct json_object *a = jx_array();
#if defined(__x86_64__) || defined(__i386__)
        jx_append(a, jx_string("SCMP_ARCH_X86_64"));
        jx_append(a, jx_string("SCMP_ARCH_X86"));
        jx_append(a, jx_string("SCMP_ARCH_X32"));
#elif defined(__aarch64__) || defined(__arm__)
        jx_append(a, jx_string("SCMP_ARCH_AARCH64"));
        jx_append(a, jx_string("SCMP_ARCH_ARM"));
#else
        jx_append(a, jx_string("SCMP_ARCH_NATIVE"));
#endif
        return a;
}

struct json_object *seccomp_default_profile(uint64_t caps) {
        struct json_object *p = jx_object(), *rules = jx_array();
        spec_set_str(p, "defaultAction", "SCMP_ACT_ERRNO");
        jx_add(p, "defaultErrnoRet", jx_int64(1)); /* EPERM */
        jx_add(p, "architectures", architectures());
        jx_append(rules, allow_rule(caps));
        for (size_t i = 0; i < sizeof(personalities) / sizeof(personalities[0]); i++)
                jx_append(rules, rule("personality", "SCMP_ACT_ALLOW", arg_cmp(0, personalities[i], 0, "SCMP_CMP_EQ")));
        jx_append(rules, rule("socket", "SCMP_ACT_ALLOW", arg_cmp(0, AF_VSOCK_FAMILY, 0, "SCMP_CMP_NE")));
        if (!(caps & BIT(C_SYS_ADMIN))) {
                /* clone without namespace flags; clone3 hides its flags in memory seccomp
                 * can't read, so it says ENOSYS and libc falls back to clone. */
                jx_append(rules, rule("clone", "SCMP_ACT_ALLOW", arg_cmp(0, CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ")));
                struct json_object *r = rule("clone3", "SCMP_ACT_ERRNO", NULL);
                jx_add(r, "errnoRet", jx_int64(ERRNO_ENOSYS));
                jx_append(rules, r);
        }
        jx_add(p, "syscalls", rules);
        return p;
}
