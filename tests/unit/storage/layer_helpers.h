/* What the layer store's unit tests share: a file put into a layer's directory, and a
 * committed layer holding one file (include after <cmocka.h>). */
#ifndef CRIC_TESTS_UNIT_STORAGE_LAYER_HELPERS_H
#define CRIC_TESTS_UNIT_STORAGE_LAYER_HELPERS_H

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Writes text to name in dirfd (created or truncated). */
static inline void layer_put(int dirfd, const char *name, const char *text) {
        AUTOCLOSE int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

/* Commits layer chain (on parent) holding file, whose content is the chain id; with
 * is_summed, its checksums are recorded first (diff id: the chain id). */
static inline void layer_make(struct layer_store *ls, const char *parent, const char *chain, const char *file,
                              bool is_summed) {
        struct layer_tmp *t = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (layer_tmp_new(ls, parent, &t, &err) < 0)
                fail_msg("tmp: %s", err->msg);
        layer_put(t->diff_fd, file, chain);
        if (is_summed && layer_tmp_record_sums(t, chain, &err) < 0)
                fail_msg("sums: %s", err->msg);
        if (layer_tmp_commit(ls, t, chain, &err) < 0)
                fail_msg("commit: %s", err->msg);
}

#endif
