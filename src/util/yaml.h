/* YAML files read as the json-c tree the same document written as JSON gives. */
#ifndef CRIC_UTIL_YAML_H
#define CRIC_UTIL_YAML_H

#include <stddef.h>

#include "util/error.h"

struct json_object;

/* Parses one YAML document whose root is a mapping into a json-c object (the caller's).
 * Plain scalars are typed as Go's YAML 1.1 tooling types them. CRIC_E_INVALID naming
 * what and the line. */
int yaml_parse_json(const char *data, size_t len, const char *what, struct json_object **ret, struct cric_error **err);

#endif
