/* store rows -> CRI Image messages. Private to server/. */
#ifndef CRIC_SERVER_IMAGE_CONVERT_H
#define CRIC_SERVER_IMAGE_CONVERT_H

#include "cri.pb-c.h"
#include "store/store.h"

/* A heap Runtime__V1__Image for the row (uid/username from the config's User;
 * pinned when a tag or the id matches one of pinned, a NULL-terminated list of
 * fnmatch patterns). */
Runtime__V1__Image *image_to_proto(const struct image_row *img, char *const *pinned);
/* The first of pinned (fnmatch patterns, NULL-terminated) matching the id or a tag of
 * img; NULL when none does. */
const char *image_pinned_by(const struct image_row *img, char *const *pinned);
/* The ImageStatus verbose info: {"imageSpec": <config>, "manifestDigest": ..., "layers": [...]} */
char *image_verbose_info(const struct image_row *img);

#endif
