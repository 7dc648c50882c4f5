/* The host facts spec generation depends on, read once at start-up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* "CapBnd:\t000001ffffffffff" from /proc/self/status. */
static int read_bounding(uint64_t *ret, struct cric_error **err) {
        AUTOFREE char *status = NULL;
        if (fs_read_file("/proc/self/status", 1 << 20, &status, NULL, err) < 0)
                return -1;
        const char *p = strstr(status, "\nCapBnd:");
        if (!p)
                return cric_error_set(err, CRIC_E_INTERNAL, "no CapBnd in /proc/self/status");
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(p + 8, &end, 16);
        if (errno || end == p + 8)
                return cric_error_set(err, CRIC_E_INTERNAL, "bad CapBnd in /proc/self/status");
        *ret = v;
        return 0;
}

static int read_oom_score_adj(int *ret, struct cric_error **err) {
        AUTOFREE char *s = NULL;
        if (fs_read_file("/proc/self/oom_score_adj", 64, &s, NULL, err) < 0)
                return -1;
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (end == s || v < -1000 || v > 1000)
                return cric_error_set(err, CRIC_E_INTERNAL, "bad /proc/self/oom_score_adj \"%s\"", s);
        *ret = (int) v;
        return 0;
}

static bool file_exists(const char *path) {
        return access(path, F_OK) == 0;
}

static bool file_starts_with(const char *path, const char *prefix) {
        AUTOFREE char *s = NULL;
        struct cric_error *e = NULL;
        if (fs_read_file(path, 4096, &s, NULL, &e) < 0) {
                cric_error_free(e);
                return false;
        }
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_word(const char *path, const char *word) {
        AUTOFREE char *s = NULL;
        struct cric_error *e = NULL;
        if (fs_read_file(path, 4096, &s, NULL, &e) < 0) {
                cric_error_free(e);
                return false;
        }
        size_t l = strlen(word);
        for (char *p = strstr(s, word); p; p = strstr(p + 1, word))
                if ((p == s || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || p[l] == '\0'))
                        return true;
        return false;
}

int oci_host_detect(enum oci_cgroup_driver driver, struct oci_host *ret, struct cric_error **err) {
        struct oci_host h = {.cgroup_driver = driver};
        if (read_bounding(&h.cap_bounding, err) < 0 || read_oom_score_adj(&h.oom_score_adj, err) < 0)
                return cric_error_prefix(err, "detect host");
        struct statfs fs;
        h.is_cgroup_v2 = statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
        if (h.is_cgroup_v2)
                h.has_swap_accounting =
                        has_word("/sys/fs/cgroup/cgroup.controllers", "memory") && file_exists("/proc/swaps");
        else
                h.has_swap_accounting = file_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
        h.is_selinux_enabled = file_exists("/sys/fs/selinux/enforce");
        h.is_apparmor_enabled = file_starts_with("/sys/module/apparmor/parameters/enabled", "Y");
        if (gethostname(h.node_hostname, sizeof(h.node_hostname) - 1) < 0)
                h.node_hostname[0] = '\0';
        *ret = h;
        return 0;
}
