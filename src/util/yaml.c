/* YAML documents (CDI specs: nvidia-ctk writes /etc/cdi/nvidia.yaml, for one; the
 * registries.d files of signature lookaside) become the same json-c tree a .json file
 * gives, so one checker serves both. libyaml loads the
 * document; plain scalars are typed the way the Go CDI tooling (YAML 1.1 through
 * sigs.k8s.io/yaml) types them: null, booleans, integers (a leading 0 is octal, as in
 * `fileMode: 0666`), everything else a string. Aliases are followed, with a cap on the
 * nodes converted so that a document of nested aliases can't blow up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/yaml.h"
#include "util/json.h"
#include "util/xalloc.h"

#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 100000

struct conv {
        yaml_document_t *doc;
        size_t n_nodes;
        const char *what;
};

static bool is_word(const char *v, const char *const *words) {
        for (; *words; words++)
                if (strcmp(v, *words) == 0)
                        return true;
        return false;
}

/* An integer in one of YAML 1.1's plain forms: 42, -42, 0o17 / 017 (octal), 0x1f. */
static bool parse_int(const char *v, int64_t *ret) {
        const char *p = v + (*v == '-' || *v == '+');
        int base = 10;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                base = 16, p += 2;
        else if (p[0] == '0' && p[1] == 'o')
                base = 8, p += 2;
        else if (p[0] == '0' && p[1])
                base = 8, p += 1;
        if (!*p)
                return false;
        char *end = NULL;
        errno = 0;
        long long n = strtoll(p, &end, base);
        if (errno || *end || *p == '-' || *p == '+')
                return false;
        *ret = *v == '-' ? -n : n;
        return true;
}

static struct json_object *scalar(const yaml_node_t *n) {
        static const char *const nulls[] = {"~", "null", "Null", "NULL", "", NULL};
        static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
        static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};
        const char *v = (const char *) n->data.scalar.value;
        int64_t i;
        if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return jx_string_len(v, n->data.scalar.length);
        if (is_word(v, nulls))
                return NULL;
        if (is_word(v, trues) || is_word(v, falses))
                return jx_bool(is_word(v, trues));
        if (parse_int(v, &i))
                return jx_int64(i);
        return jx_string_len(v, n->data.scalar.length);
}

static int convert(struct conv *c, yaml_node_t *n, int depth, struct json_object **ret, struct cric_error **err);

static int convert_mapping(struct conv *c, yaml_node_t *n, int depth, struct json_object *obj,
                           struct cric_error **err) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
                yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
                struct json_object *val = NULL;
                if (!k || k->type != YAML_SCALAR_NODE || !v)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: a mapping key is not a string", c->what);
                if (convert(c, v, depth + 1, &val, err) < 0)
                        return -1;
                jx_add(obj, (const char *) k->data.scalar.value, val);
        }
        return 0;
}

static int convert(struct conv *c, yaml_node_t *n, int depth, struct json_object **ret, struct cric_error **err) {
        if (depth > YAML_MAX_DEPTH || ++c->n_nodes > YAML_MAX_NODES)
                return cric_error_set(err, CRIC_E_INVALID, "%s: the YAML document is nested or aliased too deeply",
                                      c->what);
        if (n->type == YAML_SCALAR_NODE) {
                *ret = scalar(n);
                return 0;
        }
        struct json_object *o = n->type == YAML_MAPPING_NODE ? jx_object() : jx_array();
        int r = 0;
        if (n->type == YAML_MAPPING_NODE) {
                r = convert_mapping(c, n, depth, o, err);
        } else {
                for (yaml_node_item_t *i = n->data.sequence.items.start; r == 0 && i < n->data.sequence.items.top;
                     i++) {
                        struct json_object *v = NULL;
                        yaml_node_t *item = yaml_document_get_node(c->doc, *i);
                        r = item ? convert(c, item, depth + 1, &v, err) : 0;
                        if (r == 0)
                                jx_append(o, v);
                }
        }
        if (r < 0) {
                json_putp(&o);
                return -1;
        }
        *ret = o;
        return 0;
}

int yaml_parse_json(const char *data, size_t len, const char *what, struct json_object **ret, struct cric_error **err) {
        yaml_parser_t parser;
        yaml_document_t doc;
        if (!yaml_parser_initialize(&parser))
                return cric_error_set(err, CRIC_E_INTERNAL, "%s: cannot initialize the YAML parser", what);
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
        if (!yaml_parser_load(&parser, &doc)) {
                int r = cric_error_set(err, CRIC_E_INVALID, "%s: invalid YAML at line %zu: %s", what,
                                       parser.problem_mark.line + 1, parser.problem ? parser.problem : "error");
                yaml_parser_delete(&parser);
                return r;
        }
        struct conv c = {.doc = &doc, .what = what};
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        struct json_object *o = NULL;
        int r = 0;
        if (!root || root->type != YAML_MAPPING_NODE)
                r = cric_error_set(err, CRIC_E_INVALID, "%s: the document is not a YAML mapping", what);
        else
                r = convert(&c, root, 0, &o, err);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r == 0)
                *ret = o;
        return r;
}
