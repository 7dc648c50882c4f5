/* Platforms: which entry of an index runs here, and what "here" is in OCI terms.
 * Thread-safe: the host's platform is computed once, under pthread_once. */
#include "image/manifest.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/manifest_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* At most this many platforms are listed in a "not found" message. */
#define MAX_LISTED 32

/* The variant an architecture means when none is given (the OCI platform notes and
 * containerd's normalisation agree: arm64 is v8, 32-bit arm is v7). */
static const char *default_variant(const char *arch) {
        if (strcmp(arch, "arm64") == 0)
                return "v8";
        if (strcmp(arch, "arm") == 0)
                return "v7";
        return NULL;
}

/* Index entries we could pull as an image. Nested indexes and unknown types (artifacts)
 * are never selected. */
static bool is_image_manifest(const struct descriptor *d) {
        return strcmp(d->media_type, MT_OCI_MANIFEST) == 0 || strcmp(d->media_type, MT_DOCKER_V2S2) == 0 ||
               strcmp(d->media_type, MT_DOCKER_V2S1) == 0 || strcmp(d->media_type, MT_DOCKER_V2S1_SIGNED) == 0;
}

static bool streq_opt(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static char *platform_name(const struct platform *p) {
        char *s = p->variant ? xasprintf("%s/%s/%s", p->os, p->architecture, p->variant)
                             : xasprintf("%s/%s", p->os, p->architecture);
        /* The names come from the registry: quote anything that is not plain text. */
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == ',') {
                        char *q = image_quote(s);
                        free(s);
                        return q;
                }
        }
        return s;
}

/* "linux/amd64, linux/arm/v7" for the image manifests of the index; attestation
 * manifests (unknown/unknown, as BuildKit writes them) are left out. */
static char *list_platforms(const struct manifest *index) {
        char *names[MAX_LISTED];
        size_t n = 0, cap = 64, len = 0;
        bool is_cut = false;
        char *out = xmalloc(cap);
        out[0] = '\0';
        for (size_t i = 0; i < index->n_manifests; i++) {
                const struct descriptor *d = &index->manifests[i];
                if (!d->platform.os || !is_image_manifest(d) ||
                    (strcmp(d->platform.os, "unknown") == 0 && strcmp(d->platform.architecture, "unknown") == 0))
                        continue;
                char *name = platform_name(&d->platform);
                bool is_dup = false;
                for (size_t j = 0; j < n && !is_dup; j++)
                        is_dup = strcmp(names[j], name) == 0;
                if (is_dup || n == MAX_LISTED) {
                        is_cut |= !is_dup;
                        free(name);
                        continue;
                }
                names[n++] = name;
                size_t l = strlen(name);
                out = xgrow(out, &cap, len + l + 3, 1);
                len += (size_t) sprintf(out + len, "%s%s", len ? ", " : "", name);
        }
        for (size_t j = 0; j < n; j++)
                free(names[j]);
        if (n == 0) {
                free(out);
                return xstrdup("it has no image manifests for any platform");
        }
        char *msg = xasprintf("it has %s%s", out, is_cut ? ", ..." : "");
        free(out);
        return msg;
}

static int not_found(const struct manifest *index, const char *os, const char *arch, const char *variant,
                     struct cric_error **err) {
        struct platform want = {.os = (char *) os, .architecture = (char *) arch, .variant = (char *) variant};
        AUTOFREE char *name = platform_name(&want);
        AUTOFREE char *have = list_platforms(index);
        return cric_error_set(err, CRIC_E_NOT_FOUND, "no image for %s in the image index (%s)", name, have);
}

int manifest_select_platform(const struct manifest *index, const char *os, const char *arch, const char *variant,
                             const struct descriptor **ret, struct cric_error **err) {
        if (!index || (index->kind != MANIFEST_OCI_INDEX && index->kind != MANIFEST_DOCKER_LIST))
                return cric_error_set(err, CRIC_E_INVALID, "select platform: the manifest is not an image index");
        if (!os || !*os || !arch || !*arch)
                return cric_error_set(err, CRIC_E_INVALID, "select platform: os and architecture are required");
        if (variant && !*variant)
                variant = NULL;
        const char *dflt = default_variant(arch);
        const struct descriptor *first = NULL, *no_variant = NULL;
        for (size_t i = 0; i < index->n_manifests; i++) {
                const struct descriptor *d = &index->manifests[i];
                const char *v = d->platform.variant;
                if (!is_image_manifest(d) || !streq_opt(d->platform.os, os) ||
                    !streq_opt(d->platform.architecture, arch))
                        continue;
                if (variant ? streq_opt(v, variant) : (!v || streq_opt(v, dflt))) {
                        *ret = d;
                        return 0;
                }
                if (!first)
                        first = d;
                if (!v && !no_variant)
                        no_variant = d;
        }
        /* Asked for the architecture's default variant (arm64/v8): an entry that names no
         * variant means the same thing, and most arm64 images omit it. */
        const struct descriptor *d = variant ? (streq_opt(variant, dflt) ? no_variant : NULL) : first;
        if (!d)
                return not_found(index, os, arch, variant, err);
        *ret = d;
        return 0;
}

/* ---- the host ---- */

/* uname machine -> GOARCH (+ variant). armv8l is a 32-bit userland on a v8 core: it runs
 * arm/v7 images. */
static const struct {
        const char *machine, *arch, *variant;
} machine_map[] = {
        {"x86_64", "amd64", NULL},
        {"amd64", "amd64", NULL},
        {"aarch64", "arm64", NULL},
        {"arm64", "arm64", NULL},
        {"armv8l", "arm", "v7"},
        {"armv7l", "arm", "v7"},
        {"armv7", "arm", "v7"},
        {"armv6l", "arm", "v6"},
        {"armv5tel", "arm", "v5"},
        {"i386", "386", NULL},
        {"i486", "386", NULL},
        {"i586", "386", NULL},
        {"i686", "386", NULL},
        {"ppc64le", "ppc64le", NULL},
        {"ppc64", "ppc64", NULL},
        {"s390x", "s390x", NULL},
        {"riscv64", "riscv64", NULL},
        {"mips64", "mips64", NULL},
        {"loongarch64", "loong64", NULL},
};

static struct {
        pthread_once_t once;
        const char *arch, *variant;
        char machine[sizeof(((struct utsname *) 0)->machine)];
} host = {.once = PTHREAD_ONCE_INIT};

static void host_init(void) {
        struct utsname u;
        if (uname(&u) < 0)
                u.machine[0] = '\0';
        for (size_t i = 0; i < sizeof(machine_map) / sizeof(machine_map[0]); i++) {
                if (strcmp(u.machine, machine_map[i].machine) == 0) {
                        host.arch = machine_map[i].arch;
                        host.variant = machine_map[i].variant;
                        return;
                }
        }
        /* Unknown machine: its own name is the best guess (images rarely match anyway). */
        memcpy(host.machine, u.machine, sizeof(host.machine));
        host.machine[sizeof(host.machine) - 1] = '\0';
        host.arch = host.machine[0] ? host.machine : "unknown";
}

void platform_host(const char **ret_os, const char **ret_arch, const char **ret_variant) {
        pthread_once(&host.once, host_init);
        if (ret_os)
                *ret_os = "linux";
        if (ret_arch)
                *ret_arch = host.arch;
        if (ret_variant)
                *ret_variant = host.variant;
}
