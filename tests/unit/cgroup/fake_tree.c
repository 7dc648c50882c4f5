/* Fake cgroup trees for the cgroup unit tests (see fake_tree.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_tree.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

void fake_dirs_new(const char *name, char **ret_tmp, char **ret_v1_root, char **ret_v2_root) {
        *ret_tmp = testlib_tmpdir(name);
        *ret_v1_root = xasprintf("%s/v1", *ret_tmp);
        *ret_v2_root = xasprintf("%s/v2", *ret_tmp);
}

int fake_dirs_free(char **tmp, char **v1_root, char **v2_root) {
        int r = testlib_rmtree(*tmp);
        free(*tmp);
        free(*v1_root);
        free(*v2_root);
        *tmp = *v1_root = *v2_root = NULL;
        return r;
}

void fake_put(const char *root, const char *rel, const char *content) {
        AUTOFREE char *path = xasprintf("%s/%s", root, rel);
        AUTOFREE char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(fs_mkdir_p(dir, 0755, NULL), 0);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

char *fake_subst(const char *tmpl, const char *root) {
        char *out = xstrdup("");
        for (const char *s = tmpl; *s;) {
                const char *at = strstr(s, "@R");
                size_t n = at ? (size_t) (at - s) : strlen(s);
                char *next = xasprintf("%s%.*s%s", out, (int) n, s, at ? root : "");
                free(out);
                out = next;
                s = at ? at + 2 : s + n;
        }
        return out;
}

struct cgroup_mounts *fake_mounts_load(const char *dir, const char *name, const char *tmpl, const char *root) {
        AUTOFREE char *content = fake_subst(tmpl, root);
        fake_put(dir, name, content);
        AUTOFREE char *mi = xasprintf("%s/%s", dir, name);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cgroup_mounts *m = NULL;
        if (cgroup_mounts_load(root, mi, &m, &err) < 0)
                fail_msg("load mounts: %s", err->msg);
        return m;
}

void fake_expect_error(int r, struct cric_error **err, enum cric_error_kind kind, const char *needle) {
        const char *msg = testlib_error_is(r, err, kind);
        if (needle)
                assert_contains(msg, needle);
        *err = cric_error_free(*err);
}
