/* The messages between cricd and a cric-pull helper: one JSON object per frame (a
 * 4-byte little-endian length, then the bytes) over a stream socket. Private to
 * image/ and the helper. */
#ifndef CRIC_IMAGE_PULL_WIRE_H
#define CRIC_IMAGE_PULL_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/json.h"

/* The largest frame either side accepts (an image config may be 8 MiB). */
#define PULL_WIRE_MAX_FRAME (32u << 20)

/* Sends msg (not taken). */
int pull_wire_send(int fd, struct json_object *msg, struct cric_error **err);
/* Receives one object. The peer closing the socket between frames is
 * CRIC_E_UNAVAILABLE "closed"; a short frame, an oversized one or one that is not a
 * JSON object is CRIC_E_INVALID. */
int pull_wire_recv(int fd, struct json_object **ret, struct cric_error **err);

/* Fields of a received object: NULL / 0 / false when missing or of another type. */
const char *pull_wire_str(struct json_object *o, const char *key);
int64_t pull_wire_int(struct json_object *o, const char *key);
bool pull_wire_bool(struct json_object *o, const char *key);
/* A string array as a NULL-terminated copy (caller frees with strv_free); NULL when
 * missing. A non-string element is CRIC_E_INVALID. */
int pull_wire_strv(struct json_object *o, const char *key, char ***ret, struct cric_error **err);
/* obj[key] = s, or null when s is NULL. */
void pull_wire_add_str(struct json_object *obj, const char *key, const char *s);

/* An error as {"kind": n, "msg": "..."}, the message's bytes made valid UTF-8. */
struct json_object *pull_wire_error_new(const struct cric_error *e);
/* Sets *err from such an object (a kind out of range is CRIC_E_INTERNAL) and returns
 * -1. */
int pull_wire_error_take(struct json_object *o, struct cric_error **err);

/* An answer that holds an image id ("id") or an error ("error"): 0 with a copy of the
 * id, or -1 with the error; an answer with neither is CRIC_E_INVALID "<what> has no
 * image id". */
int pull_wire_take_id(struct json_object *o, const char *what, char **ret_id, struct cric_error **err);

#endif
