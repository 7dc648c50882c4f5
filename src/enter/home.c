/* HOME for a process whose environment has none: what the runtimes give it, the home
 * directory of its uid in the container's /etc/passwd, else "/". The file is opened
 * inside the container's root (RESOLVE_IN_ROOT): a symlink in it can't point at a host
 * file. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enter/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define PASSWD_MAX (8u << 20)

static char *read_passwd(const char *rootfs) {
        AUTOCLOSE int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *data = NULL;
        struct cric_error *err = NULL;
        if (root < 0 || fs_read_file_in_root(root, "etc/passwd", PASSWD_MAX, &data, &err) < 0)
                cric_error_free(err); /* no HOME from it: "/" */
        return data;
}

/* The home field of uid's line in passwd text, or NULL. */
char *enter_home_of(const char *passwd, uid_t uid) {
        for (const char *line = passwd; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                const char *field[7] = {0};
                size_t flen[7] = {0}, n = 0;
                for (const char *f = line; n < 7;) {
                        const char *colon = memchr(f, ':', len - (size_t) (f - line));
                        field[n] = f;
                        flen[n++] = colon ? (size_t) (colon - f) : len - (size_t) (f - line);
                        if (!colon)
                                break;
                        f = colon + 1;
                }
                char *stop = NULL;
                if (n >= 6 && flen[2] > 0 && strtoul(field[2], &stop, 10) == uid && stop == field[2] + flen[2])
                        return flen[5] ? strndup(field[5], flen[5]) : NULL;
                line = end ? end + 1 : NULL;
        }
        return NULL;
}

void enter_plan_add_home(struct enter_plan *p, const char *rootfs) {
        for (char **e = p->env; e && *e; e++)
                if (strncmp(*e, "HOME=", 5) == 0)
                        return;
        AUTOFREE char *passwd = rootfs ? read_passwd(rootfs) : NULL;
        AUTOFREE char *home = passwd ? enter_home_of(passwd, p->uid) : NULL;
        AUTOFREE char *kv = xasprintf("HOME=%s", home ? home : "/");
        strv_push(&p->env, kv);
}
