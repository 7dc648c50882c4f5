/* libFuzzer target for CDI specs (src/oci/cdi_yaml.c, src/oci/cdi_parse.c): the bytes
 * are read both as a YAML and as a JSON spec, and what parses is checked. Spec files
 * come from device plugins and DRA drivers, not from the daemon.
 *
 * Parsing either fails with CRIC_E_INVALID and no document, or gives a JSON object. The
 * check either fails with CRIC_E_INVALID, or accepts a spec whose kind has a "/" and
 * whose devices are a non-empty array of objects with a name. Any violation aborts. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cdi.h"
#include "util/yaml.h"
#include "util/json.h"

static void die(const char *what) {
        fprintf(stderr, "fuzz_cdi: %s\n", what);
        abort();
}

static void check_doc(struct json_object *doc) {
        struct cric_error *err = NULL;
        if (cdi_spec_check(doc, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID)
                        die("bad check failure");
                cric_error_free(err);
                return;
        }
        struct json_object *kind = NULL, *devs = NULL, *name = NULL;
        if (err || !json_object_object_get_ex(doc, "kind", &kind) || !strchr(json_object_get_string(kind), '/'))
                die("accepted a spec without a kind");
        if (!json_object_object_get_ex(doc, "devices", &devs) || !json_object_is_type(devs, json_type_array) ||
            json_object_array_length(devs) == 0)
                die("accepted a spec without devices");
        for (size_t i = 0; i < json_object_array_length(devs); i++)
                if (!json_object_object_get_ex(json_object_array_get_idx(devs, i), "name", &name) ||
                    !json_object_is_type(name, json_type_string))
                        die("accepted a device without a name");
}

static void check(const char *data, size_t size, bool is_yaml) {
        struct json_object *doc = NULL;
        struct cric_error *err = NULL;
        int r = is_yaml ? yaml_parse_json(data, size, "fuzz", &doc, &err)
                        : json_parse_object(data, size, "fuzz", &doc, &err);
        if (r < 0) {
                if (doc || !err || err->kind != CRIC_E_INVALID)
                        die("bad parse failure");
                cric_error_free(err);
                return;
        }
        if (err || !doc || !json_object_is_type(doc, json_type_object))
                die("parse gave no object");
        check_doc(doc);
        json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check((const char *) data, size, true);
        check((const char *) data, size, false);
        return 0;
}
