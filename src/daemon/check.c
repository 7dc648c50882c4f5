/* The root's lock, the clean-shutdown record and `cricd check`. */
#include "daemon/check.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/check.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define LOCK_FILE  "cric.lock"
#define CLEAN_FILE "clean-shutdown"

int root_lock_take(const char *root, int *ret_fd, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/" LOCK_FILE, root);
        AUTOCLOSE int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return cric_error_set(err, CRIC_E_UNAVAILABLE,
                                              "another process is serving %s (a cricd holds %s); stop it first", root,
                                              path);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "lock %s", path);
        }
        *ret_fd = STEAL_FD(fd);
        return 0;
}

bool root_shutdown_was_clean(const char *root) {
        AUTOFREE char *path = xasprintf("%s/" CLEAN_FILE, root);
        return access(path, F_OK) == 0;
}

void root_shutdown_forget(const char *root) {
        AUTOFREE char *path = xasprintf("%s/" CLEAN_FILE, root);
        if (unlink(path) < 0 && errno != ENOENT)
                log_warn("remove %s: %s", path, strerror(errno));
}

void root_shutdown_record_clean(const char *root) {
        AUTOFREE char *path = xasprintf("%s/" CLEAN_FILE, root);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (fs_write_file_atomic(path, "", 0, 0600, &err) < 0)
                cric_error_log_free(&err, "record the clean shutdown; the next start checks the store");
}

static void log_line(void *data, const char *line) {
        (void) data;
        log_warn("storage check: %s", line);
}

void daemon_check_after_crash(struct store *db, struct layer_store *ls) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(strv_freep) char **layers = NULL;
        if (store_layer_list(db, &layers, &err) < 0) {
                cric_error_log_free(&err, "storage check after an unclean shutdown, skipping it");
                return;
        }
        if (!layers[0])
                return; /* a fresh store (or an empty one): nothing to lose */
        log_info("storage check: the last stop was not clean; checking %zu layers (quick: sizes, no hashing)",
                 strv_length(layers));
        struct storage_check_opts o = {
                .is_full = false, .repair = true, .skip_container_dirs = true, .report = log_line};
        struct storage_check_result res;
        if (storage_check(db, ls, &o, &res, &err) < 0) {
                cric_error_log_free(&err, "storage check after an unclean shutdown, going on");
                return;
        }
        log_info("storage check: %u layers, %u images: %u problems, %u objects removed%s", res.n_layers, res.n_images,
                 res.n_problems, res.n_repaired,
                 res.n_unrepairable ? " (containers whose image is gone are left to the kubelet)" : "");
}

static void print_line(void *data, const char *line) {
        fprintf(data, "%s\n", line);
        fflush(data);
}

int daemon_check_run(const struct cric_config *cfg, bool repair, FILE *out) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct stat st;
        if (stat(cfg->root, &st) < 0) {
                fprintf(out, "no store at %s: nothing to check\n", cfg->root);
                return 0;
        }
        AUTOCLOSE int lock_fd = -1;
        if (root_lock_take(cfg->root, &lock_fd, &err) < 0) {
                fprintf(stderr, "cricd check: %s\n", err->msg);
                return 2;
        }
        AUTOFREE char *db_path = xasprintf("%s/cric.db", cfg->root);
        AUTOFREE char *storage = xasprintf("%s/storage", cfg->root);
        CLEANUP(store_closep) struct store *db = NULL;
        CLEANUP(layer_store_freep) struct layer_store *ls = NULL;
        if (store_open(db_path, &db, &err) < 0 ||
            layer_store_open(storage, cfg->storage_driver, cfg->storage_options, &ls, &err) < 0) {
                fprintf(stderr, "cricd check: %s\n", err->msg);
                return 2;
        }
        struct storage_check_opts o = {.is_full = true, .repair = repair, .report = print_line, .data = out};
        struct storage_check_result res;
        if (storage_check(db, ls, &o, &res, &err) < 0) {
                fprintf(stderr, "cricd check: %s\n", err->msg);
                return 2;
        }
        fprintf(out, "checked %u layers, %u images: %u problems", res.n_layers, res.n_images, res.n_problems);
        if (repair)
                fprintf(out, ", %u objects removed", res.n_repaired);
        if (res.n_unverified)
                fprintf(out, "; %u layers pulled before checksums were recorded could not be verified",
                        res.n_unverified);
        fprintf(out, "\n");
        if (!res.n_problems)
                return 0;
        return repair && !res.n_unrepairable ? 0 : 1;
}
