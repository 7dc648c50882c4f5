/* See memtrim.h. */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/memtrim.h"

struct mapping {
        unsigned long start, end;
        bool is_candidate; /* file-backed, not writable */
        long rss_kb, anon_kb;
};

/* A header line of smaps: "start-end perms offset dev inode [path]". */
static bool parse_header(const char *line, struct mapping *m) {
        char perms[8];
        unsigned long inode;
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %7s %*x %*x:%*x %lu %n", &m->start, &m->end, perms, &inode, &path_at) < 4)
                return false;
        const char *path = path_at > 0 ? line + path_at : "";
        /* Regular files only: not /dev (device memory), not a deleted file, not memfd. */
        m->is_candidate = inode != 0 && perms[1] != 'w' && path[0] == '/' && strncmp(path, "/dev/", 5) != 0 &&
                          !strstr(path, " (deleted)");
        m->rss_kb = m->anon_kb = -1;
        return true;
}

static long trim(const struct mapping *m) {
        if (!m->is_candidate || m->rss_kb <= 0 || m->anon_kb != 0)
                return 0;
        if (madvise((void *) m->start, m->end - m->start, MADV_DONTNEED) < 0)
                return 0;
        return m->rss_kb;
}

long memtrim_idle(void) {
        FILE *f = fopen("/proc/self/smaps", "re");
        if (!f)
                return -1;
        /* Read whole first: unmapping while reading would change what is read. */
        struct mapping *v = NULL;
        size_t n = 0, cap = 0;
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
                long kb;
                if (line[0] >= 'A' && line[0] <= 'Z') {
                        if (n == 0)
                                continue;
                        if (sscanf(line, "Rss: %ld kB", &kb) == 1)
                                v[n - 1].rss_kb = kb;
                        else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1)
                                v[n - 1].anon_kb = kb;
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 256;
                        struct mapping *nv = realloc(v, cap * sizeof(*v));
                        if (!nv)
                                break;
                        v = nv;
                }
                if (parse_header(line, &v[n]))
                        n++;
        }
        fclose(f);
        long kb = 0;
        for (size_t i = 0; i < n; i++)
                kb += trim(&v[i]);
        free(v);
        malloc_trim(0);
        return kb;
}
