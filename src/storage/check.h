/* `cricd check [--repair]`: the layer store against the metadata database (check.c).
 * Run with the daemon stopped (the caller holds the root's lock). */
#ifndef CRIC_STORAGE_CHECK_H
#define CRIC_STORAGE_CHECK_H

#include <stdbool.h>

#include "storage/storage.h"
#include "store/store.h"
#include "util/error.h"

struct storage_check_opts {
        bool is_full; /* hash every file; otherwise types, modes, owners and sizes only */
        bool repair;  /* remove damaged layers, the images using them, orphan directories */
        /* Container directories without a row are not looked at: at start, the runtime's
         * restore removes them after stopping what may still run there. */
        bool skip_container_dirs;
        /* Called with each line: a problem, or with repair what was removed. */
        void (*report)(void *data, const char *line);
        void *data;
};

struct storage_check_result {
        unsigned n_layers, n_images;
        unsigned n_problems;
        unsigned n_unrepairable; /* problems repair leaves (containers whose image is gone) */
        unsigned n_repaired;     /* objects removed */
        unsigned n_unverified;   /* layers pulled before checksums were recorded */
};

/* Walks every layer, image and container row and the directories of the store, reports
 * each problem and, with repair, removes what is damaged. Fails (CRIC_E_INTERNAL) only
 * when the walk itself cannot go on; problems found are a result, not an error. */
int storage_check(struct store *db, struct layer_store *ls, const struct storage_check_opts *o,
                  struct storage_check_result *ret, struct cric_error **err);

#endif
