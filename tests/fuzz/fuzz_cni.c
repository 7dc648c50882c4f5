/* libFuzzer target for the CNI parsers: network configurations (src/network/cni_conf.c)
 * and plugin results of every version (src/network/cni_result.c). Both read files or
 * plugin output the daemon does not control.
 *
 * A config either fails with CRIC_E_INVALID and no network, or gives a network whose
 * name follows the spec's rule, whose version is a known one, with at least one plugin,
 * each with a type usable as a file name and a config that is a JSON object again, and
 * which keeps the input bytes. A result either fails with CRIC_E_INVALID ("cni result:
 * ...") or gives as many gateways as addresses, every address "ip/prefix" and the
 * input as its JSON. Any violation aborts. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/cni_internal.h"
#include "util/json.h"
#include "util/strv.h"

static void die(const char *what) {
        fprintf(stderr, "fuzz_cni: %s\n", what);
        abort();
}

static void check_net(const struct cni_net *n, const char *data, size_t size) {
        const char *name = cni_net_name(n);
        if (!name || !*name ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name))
                die("bad network name");
        if (!cni_net_version(n) || cni_version_from_string(cni_net_version(n)) == CNI_VERSION_INVALID)
                die("unknown version");
        if (strcmp(cni_net_path(n), "fuzz") != 0)
                die("path lost");
        char *const *types = cni_net_plugin_types(n);
        if (n->n_plugins == 0 || strv_length(types) != n->n_plugins || strv_length(n->plugins) != n->n_plugins)
                die("bad plugin count");
        for (size_t i = 0; i < n->n_plugins; i++) {
                if (!*types[i] || strchr(types[i], '/') || !strcmp(types[i], ".") || !strcmp(types[i], ".."))
                        die("unsafe plugin type");
                struct json_object *o = NULL;
                struct cric_error *err = NULL;
                if (json_parse_object(n->plugins[i], strlen(n->plugins[i]), "plugin", &o, &err) < 0)
                        die("plugin config is no object");
                json_object_put(o);
        }
        if (n->len != size || memcmp(n->data, data, size) != 0)
                die("file bytes not kept");
}

static void check_config(const char *data, size_t size) {
        struct cni_net *n = NULL;
        struct cric_error *err = NULL;
        if (cni_net_parse(data, size, "fuzz", &n, &err) < 0) {
                if (n || !err || err->kind != CRIC_E_INVALID)
                        die("bad config failure");
                cric_error_free(err);
                return;
        }
        if (err || !n)
                die("bad config success");
        check_net(n, data, size);
        struct cni_net *again = cni_net_ref(n);
        cni_net_unref(n);
        cni_net_unref(again);
}

static void check_result(const char *data, size_t size) {
        struct cni_result *r = NULL;
        struct cric_error *err = NULL;
        if (cni_result_parse(data, size, &r, &err) < 0) {
                if (r || !err || err->kind != CRIC_E_INVALID || strncmp(err->msg, "cni result: ", 12) != 0)
                        die("bad result failure");
                cric_error_free(err);
                return;
        }
        if (err || !r || !r->ips || !r->gateways || strv_length(r->ips) != strv_length(r->gateways))
                die("bad result success");
        for (size_t i = 0; r->ips[i]; i++)
                if (!strchr(r->ips[i], '/') || strlen(r->ips[i]) > 49)
                        die("address without prefix");
        if (strlen(r->json) != size || memcmp(r->json, data, size) != 0)
                die("result JSON not kept");
        cni_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check_config((const char *) data, size);
        check_result((const char *) data, size);
        return 0;
}
