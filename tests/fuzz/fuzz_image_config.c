/* libFuzzer target for the image config parser (src/image/image_config.c).
 *
 * A failure must be a CRIC_E_INVALID error whose message starts with "image config: ".
 * A success must hold what image_config.h promises (lists NULL-terminated, labels in
 * key order, valid diff ids). Then the document goes through image_config_set_diff_ids
 * with its diff ids reversed and is parsed again: everything but the diff ids must come
 * back unchanged. Any violation aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"

static void die(const char *what) {
        fprintf(stderr, "fuzz_image_config: %s\n", what);
        abort();
}

static bool str_eq(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, char **b) {
        if (!a || !b)
                return a == b;
        size_t i = 0;
        for (; a[i] && b[i]; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return !a[i] && !b[i];
}

static size_t strv_len(char **v) {
        size_t n = 0;
        while (v[n])
                n++;
        return n;
}

static bool is_sorted(char **v, size_t step) {
        size_t n = strv_len(v);
        for (size_t i = step; i < n; i += step)
                if (strcmp(v[i - step], v[i]) > 0)
                        return false;
        return true;
}

static void check_config(const struct image_config *c) {
        if (!c->env || !c->labels || !c->exposed_ports || !c->volumes || !c->diff_ids)
                die("list left NULL");
        if (strv_len(c->labels) % 2 || !is_sorted(c->labels, 2) || !is_sorted(c->exposed_ports, 1) ||
            !is_sorted(c->volumes, 1))
                die("labels, ports or volumes not sorted");
        if (strv_len(c->diff_ids) != c->n_diff_ids)
                die("n_diff_ids wrong");
        for (size_t i = 0; i < c->n_diff_ids; i++)
                if (strncmp(c->diff_ids[i], "sha", 3) != 0)
                        die("diff id not checked");
}

static bool same_except_diff_ids(const struct image_config *a, const struct image_config *b) {
        return str_eq(a->architecture, b->architecture) && str_eq(a->os, b->os) && str_eq(a->variant, b->variant) &&
               str_eq(a->created, b->created) && str_eq(a->author, b->author) && str_eq(a->user, b->user) &&
               strv_eq(a->env, b->env) && strv_eq(a->entrypoint, b->entrypoint) && strv_eq(a->cmd, b->cmd) &&
               str_eq(a->working_dir, b->working_dir) && str_eq(a->stop_signal, b->stop_signal) &&
               strv_eq(a->labels, b->labels) && strv_eq(a->exposed_ports, b->exposed_ports) &&
               strv_eq(a->volumes, b->volumes);
}

static void check_round_trip(const uint8_t *data, size_t size, const struct image_config *c) {
        char *doc = malloc(size + 1), *out = NULL;
        char **ids = calloc(c->n_diff_ids + 1, sizeof(char *));
        if (!doc || !ids)
                abort();
        memcpy(doc, data, size);
        doc[size] = '\0';
        for (size_t i = 0; i < c->n_diff_ids; i++)
                ids[i] = c->diff_ids[c->n_diff_ids - 1 - i];
        struct cric_error *err = NULL;
        if (image_config_set_diff_ids(doc, ids, c->n_diff_ids, &out, &err) < 0)
                die(err->msg);
        struct image_config *again = NULL;
        if (image_config_parse(out, strlen(out), &again, &err) < 0)
                die(err->msg);
        if (!same_except_diff_ids(c, again) || again->n_diff_ids != c->n_diff_ids)
                die("set_diff_ids changed the config");
        for (size_t i = 0; i < c->n_diff_ids; i++)
                if (strcmp(again->diff_ids[i], ids[i]) != 0)
                        die("diff ids not set");
        image_config_free(again);
        free(out);
        free(ids);
        free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct image_config *c = NULL;
        struct cric_error *err = NULL;
        if (image_config_parse((const char *) data, size, &c, &err) < 0) {
                if (c || !err || err->kind != CRIC_E_INVALID || strncmp(err->msg, "image config: ", 14) != 0)
                        die("bad parse failure");
                cric_error_free(err);
                return 0;
        }
        if (err || !c)
                die("bad parse success");
        check_config(c);
        check_round_trip(data, size, c);
        image_config_free(c);
        return 0;
}
