/* Image references: a hand-written parser for the docker reference grammar
 * (distribution/reference) followed by docker's normalization.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]         host: dotted names, or "[" IPv6 "]"
 *   path      := component ( "/" component )*
 *   component := [a-z0-9]+ ( separator [a-z0-9]+ )*   separator: "." "_" "__" "-"+
 *   tag       := [\w][\w.-]{0,127}
 *
 * Parsing works on spans of the input rather than regular expressions so every
 * failure can say which part is wrong. The 255-character limit applies to the
 * normalized name ("docker.io/library/x"), not to what was typed: otherwise a name
 * could parse once and fail to parse from its own image_ref_string(). */
#include "image/ref.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define NAME_MAX_LEN          255
#define TAG_MAX_LEN           128
#define IMAGE_ID_LEN          64
#define DEFAULT_DOMAIN        "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX  "library/"
#define DEFAULT_TAG           "latest"

struct digest_algorithm {
        const char *name;
        size_t hex_len;
        const char *wrong_length; /* the problem reported for any other length */
};

static const struct digest_algorithm digest_algorithms[] = {
        {"sha256", 64, "sha256 needs 64 hex characters"},
        {"sha384", 96, "sha384 needs 96 hex characters"},
        {"sha512", 128, "sha512 needs 128 hex characters"},
};

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}
static bool is_lower(char c) {
        return c >= 'a' && c <= 'z';
}
static bool is_upper(char c) {
        return c >= 'A' && c <= 'Z';
}
static bool is_alnum(char c) {
        return is_digit(c) || is_lower(c) || is_upper(c);
}
static bool is_word(char c) {
        return is_alnum(c) || c == '_';
}
static bool is_lower_hex(char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f');
}
static bool is_any_hex(char c) {
        return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

static bool has_upper(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (is_upper(s[i]))
                        return true;
        return false;
}

/* ---- domains ---- */

/* [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_valid(const char *s, size_t len) {
        if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
                return false;
        for (size_t i = 1; i + 1 < len; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool host_name_valid(const char *s, size_t len) {
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != '.')
                        continue;
                if (!domain_component_valid(s + start, i - start))
                        return false;
                start = i + 1;
        }
        return true;
}

/* The grammar admits hex digits and colons between the brackets; inet_pton decides
 * whether they make an address. */
static bool ipv6_valid(const char *s, size_t len) {
        char buf[INET6_ADDRSTRLEN];
        struct in6_addr addr;
        if (len == 0 || len >= sizeof(buf))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!is_any_hex(s[i]) && s[i] != ':')
                        return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return inet_pton(AF_INET6, buf, &addr) == 1;
}

static bool port_valid(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!is_digit(s[i]))
                        return false;
        return true;
}

static bool domain_valid(const char *s, size_t len) {
        size_t host_end;
        if (len > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', len);
                if (!close || !ipv6_valid(s + 1, (size_t) (close - s) - 1))
                        return false;
                host_end = (size_t) (close - s) + 1;
        } else {
                const char *colon = memchr(s, ':', len);
                host_end = colon ? (size_t) (colon - s) : len;
                if (!host_name_valid(s, host_end))
                        return false;
        }
        if (host_end == len)
                return true;
        return s[host_end] == ':' && port_valid(s + host_end + 1, len - host_end - 1);
}

/* Per ref.h: a first component names a domain when it holds '.' or ':', is
 * "localhost", or has upper-case letters (which a repository path never has). */
static bool looks_like_domain(const char *s, size_t len) {
        return memchr(s, '.', len) || memchr(s, ':', len) || (len == 9 && !memcmp(s, "localhost", 9)) ||
               has_upper(s, len);
}

/* ---- paths, tags, digests ---- */

static bool path_component_valid(const char *s, size_t len) {
        size_t i = 0;
        for (;;) {
                size_t run = i;
                while (i < len && (is_lower(s[i]) || is_digit(s[i])))
                        i++;
                if (i == run)
                        return false;
                if (i == len)
                        return true;
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
                } else if (s[i] == '-') {
                        while (i < len && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
        }
}

/* NULL when path is valid, else a description of the problem (malloc'ed). */
static char *path_problem(const char *path) {
        if (!*path)
                return xstrdup("repository path is empty");
        if (has_upper(path, strlen(path)))
                return xstrdup("repository name must be lowercase");
        const char *start = path;
        for (;;) {
                size_t len = strcspn(start, "/");
                if (!path_component_valid(start, len))
                        return len ? xasprintf("invalid path component \"%.*s\"", (int) len, start)
                                   : xstrdup("empty path component");
                if (!start[len])
                        return NULL;
                start += len + 1;
        }
}

static bool tag_valid(const char *s, size_t len) {
        if (len == 0 || len > TAG_MAX_LEN || !is_word(s[0]))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

/* NULL when digest is valid, else a static description of the problem. */
static const char *digest_problem(const char *digest) {
        const char *colon = strchr(digest, ':');
        if (!colon || colon == digest)
                return "expected <algorithm>:<hex>";
        size_t alg_len = (size_t) (colon - digest);
        const char *hex = colon + 1;
        for (size_t i = 0; i < sizeof(digest_algorithms) / sizeof(digest_algorithms[0]); i++) {
                const struct digest_algorithm *a = &digest_algorithms[i];
                if (strlen(a->name) != alg_len || memcmp(a->name, digest, alg_len) != 0)
                        continue;
                size_t n = 0;
                while (is_lower_hex(hex[n]))
                        n++;
                if (hex[n] != '\0')
                        return "the encoded part must be lowercase hex";
                if (n != a->hex_len)
                        return a->wrong_length;
                return NULL;
        }
        return "unsupported digest algorithm (expected sha256, sha384 or sha512)";
}

bool digest_is_valid(const char *digest) {
        return digest && !digest_problem(digest);
}

bool image_id_is_valid(const char *id) {
        if (!id)
                return false;
        size_t n = 0;
        while (is_lower_hex(id[n]))
                n++;
        return n == IMAGE_ID_LEN && id[n] == '\0';
}

/* ---- parsing ---- */

/* The input cut at its separators; spans point into the input. */
struct ref_spans {
        const char *name, *tag, *digest;
        size_t name_len, tag_len;
        bool has_tag, has_digest;
};

/* '@' starts the digest (no other part may hold one); the tag follows the first ':'
 * after the last '/', since a ':' before that belongs to a port. */
static void split_reference(const char *s, struct ref_spans *sp) {
        const char *at = strchr(s, '@');
        size_t rest = at ? (size_t) (at - s) : strlen(s);
        sp->has_digest = at != NULL;
        sp->digest = at ? at + 1 : NULL;
        const char *slash = memrchr(s, '/', rest);
        const char *base = slash ? slash + 1 : s;
        const char *colon = memchr(base, ':', (size_t) (s + rest - base));
        sp->has_tag = colon != NULL;
        sp->name = s;
        sp->name_len = colon ? (size_t) (colon - s) : rest;
        sp->tag = colon ? colon + 1 : NULL;
        sp->tag_len = colon ? (size_t) (s + rest - colon - 1) : 0;
}

static int fail(struct cric_error **err, const char *input, const char *problem) {
        return cric_error_set(err, CRIC_E_INVALID, "invalid reference \"%s\": %s", input, problem);
}

/* Splits the name into domain and path and applies docker's normalization. */
static int normalize_name(const char *input, const struct ref_spans *sp, struct image_ref *ref,
                          struct cric_error **err) {
        const char *slash = memchr(sp->name, '/', sp->name_len);
        const char *path = sp->name;
        size_t path_len = sp->name_len;
        if (slash && looks_like_domain(sp->name, (size_t) (slash - sp->name))) {
                size_t dlen = (size_t) (slash - sp->name);
                if (!domain_valid(sp->name, dlen)) {
                        AUTOFREE char *msg = xasprintf("invalid domain \"%.*s\"", (int) dlen, sp->name);
                        return fail(err, input, msg);
                }
                ref->had_domain = true;
                bool legacy = dlen == strlen(LEGACY_DEFAULT_DOMAIN) && !memcmp(sp->name, LEGACY_DEFAULT_DOMAIN, dlen);
                ref->domain = legacy ? xstrdup(DEFAULT_DOMAIN) : xstrndup(sp->name, dlen);
                path = slash + 1;
                path_len = sp->name_len - dlen - 1;
        } else {
                ref->domain = xstrdup(DEFAULT_DOMAIN);
        }
        bool official = !strcmp(ref->domain, DEFAULT_DOMAIN) && !memchr(path, '/', path_len);
        ref->path = xasprintf("%s%.*s", official ? OFFICIAL_REPO_PREFIX : "", (int) path_len, path);
        AUTOFREE char *problem = path_problem(ref->path);
        if (problem)
                return fail(err, input, problem);
        if (strlen(ref->domain) + 1 + strlen(ref->path) > NAME_MAX_LEN) {
                AUTOFREE char *msg = xasprintf("repository name is longer than %d characters", NAME_MAX_LEN);
                return fail(err, input, msg);
        }
        return 0;
}

static int parse_tag_and_digest(const char *input, const struct ref_spans *sp, struct image_ref *ref,
                                struct cric_error **err) {
        if (sp->has_tag) {
                if (!tag_valid(sp->tag, sp->tag_len)) {
                        AUTOFREE char *msg = xasprintf("invalid tag \"%.*s\" (expected [A-Za-z0-9_][A-Za-z0-9_.-]*, "
                                                       "at most %d characters)",
                                                       (int) sp->tag_len, sp->tag, TAG_MAX_LEN);
                        return fail(err, input, msg);
                }
                ref->tag = xstrndup(sp->tag, sp->tag_len);
        }
        if (sp->has_digest) {
                const char *problem = digest_problem(sp->digest);
                if (problem) {
                        AUTOFREE char *msg = xasprintf("invalid digest \"%s\": %s", sp->digest, problem);
                        return fail(err, input, msg);
                }
                ref->digest = xstrdup(sp->digest);
        }
        if (!ref->tag && !ref->digest)
                ref->tag = xstrdup(DEFAULT_TAG);
        return 0;
}

int image_ref_parse(const char *s, struct image_ref **ret, struct cric_error **err) {
        if (!s || !*s)
                return cric_error_set(err, CRIC_E_INVALID, "invalid reference \"\": empty");
        /* docker refuses these too: they are image IDs, and pulling one as
         * docker.io/library/<hex> would only confuse. */
        if (image_id_is_valid(s))
                return fail(err, s, "a 64-character hex string is an image ID, not a repository name");
        struct ref_spans sp;
        split_reference(s, &sp);
        CLEANUP(image_ref_freep) struct image_ref *ref = xzalloc(sizeof(*ref));
        if (sp.name_len == 0)
                return fail(err, s, "repository name is empty");
        if (normalize_name(s, &sp, ref, err) < 0 || parse_tag_and_digest(s, &sp, ref, err) < 0)
                return -1;
        *ret = STEAL_PTR(ref);
        return 0;
}

/* ---- formatting ---- */

struct image_ref *image_ref_copy(const struct image_ref *ref) {
        if (!ref)
                return NULL;
        struct image_ref *c = xzalloc(sizeof(*c));
        c->domain = xstrdup(ref->domain);
        c->path = xstrdup(ref->path);
        c->tag = ref->tag ? xstrdup(ref->tag) : NULL;
        c->digest = ref->digest ? xstrdup(ref->digest) : NULL;
        c->had_domain = ref->had_domain;
        return c;
}

char *image_ref_name(const struct image_ref *ref) {
        return xasprintf("%s/%s", ref->domain, ref->path);
}

char *image_ref_string(const struct image_ref *ref) {
        return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                         ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

char *image_ref_tagged(const struct image_ref *ref) {
        if (!ref->tag)
                return NULL;
        return xasprintf("%s/%s:%s", ref->domain, ref->path, ref->tag);
}

char *image_ref_with_digest(const struct image_ref *ref, const char *digest) {
        return xasprintf("%s/%s@%s", ref->domain, ref->path, digest);
}

struct image_ref *image_ref_free(struct image_ref *ref) {
        if (ref) {
                free(ref->domain);
                free(ref->path);
                free(ref->tag);
                free(ref->digest);
                free(ref);
        }
        return NULL;
}

void image_ref_freep(struct image_ref **ref) {
        if (ref)
                *ref = image_ref_free(*ref);
}
