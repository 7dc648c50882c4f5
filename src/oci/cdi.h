/* Container Device Interface (CDI): vendor spec files in the CDI spec dirs describe
 * devices by qualified name ("vendor.com/class=name") and the edits a container that
 * asks for one gets (env, device nodes, mounts, hooks, additional GIDs). Shared by the
 * files of src/oci/ and the unit tests only. */
#ifndef CRIC_OCI_CDI_H
#define CRIC_OCI_CDI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct json_object;
struct spec_ctx;

#define CDI_ANNOTATION_PREFIX "cdi.k8s.io/"

/* Checks a parsed spec document: cdiVersion, kind "vendor/class", devices with valid
 * unique names, and every containerEdits (spec-wide and per device). CRIC_E_INVALID
 * naming the first problem. cdi_parse.c */
int cdi_spec_check(struct json_object *doc, struct cric_error **err);

/* Splits "vendor.com/class=name" into its kind and device name (the caller's).
 * CRIC_E_INVALID when name is not a fully qualified, valid CDI device name. */
int cdi_name_parse(const char *name, char **ret_kind, char **ret_device, struct cric_error **err);

/* The CDI devices a container asks for: the CRI field first, then the values of its
 * cdi.k8s.io/ annotations (comma-separated names), duplicates dropped. NULL-terminated,
 * the caller's (strv_free). NULL when none. cdi.c */
char **cdi_requested(const struct spec_ctx *c);

/* Resolves the requested devices in the spec dirs and applies their edits to the spec
 * (after every other step). CRIC_E_NOT_FOUND naming the unresolvable devices,
 * CRIC_E_INVALID for a malformed name or edit, CRIC_E_INTERNAL for I/O. cdi.c */
int spec_add_cdi(struct spec_ctx *c, struct cric_error **err);

#endif
