/* What the user typed -> qualified candidates (aliases, search registries), and a
 * qualified reference -> the places to pull it from (mirrors, then the location).
 *
 * A [[registry]] prefix matches on component boundaries: "example.com/foo" matches
 * "example.com/foo", "example.com/foo/bar", "example.com/foo:tag" and
 * "example.com/foo@sha256:..." but not "example.com/foobar", and a bare host never
 * matches the same host with a port. (containers/image lets "example.com" match
 * "example.com:5000/x" and calls that unintended; we do not copy it.) */
#include "image/registries.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "image/registries_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const struct registries_conf empty_conf = {.mode = SHORT_NAME_PERMISSIVE};

/* ---- short names ---- */

static const struct registry_alias *find_alias(const struct registries_conf *conf, const char *name) {
        for (size_t i = 0; i < conf->n_aliases; i++)
                if (!strcmp(conf->aliases[i].name, name))
                        return *conf->aliases[i].value ? &conf->aliases[i] : NULL;
        return NULL;
}

/* The alias value with the input's tag and digest where the alias has none. */
static int expand_alias(const struct registry_alias *a, const struct image_ref *input, bool input_has_tag,
                        struct image_ref **ret, struct cric_error **err) {
        struct image_ref *r = NULL;
        if (image_ref_parse(a->value, &r, err) < 0)
                return cric_error_prefix(err, "alias %s", a->name);
        if (!a->has_tag) {
                free(r->tag);
                r->tag = input_has_tag ? xstrdup(input->tag) : NULL;
        }
        if (input->digest)
                r->digest = xstrdup(input->digest); /* aliases never carry a digest */
        if (!r->tag && !r->digest)
                r->tag = xstrdup("latest");
        *ret = r;
        return 0;
}

static char *join_search(const struct registries_conf *conf) {
        AUTOFREE char *acc = xstrdup("");
        for (size_t i = 0; i < conf->n_search; i++) {
                char *next = xasprintf("%s%s%s", acc, i ? ", " : "", conf->search[i]);
                free(acc);
                acc = next;
        }
        return STEAL_PTR(acc);
}

static void refs_free(struct image_ref **refs, size_t n) {
        for (size_t i = 0; i < n; i++)
                image_ref_free(refs[i]);
        free(refs);
}

/* One candidate per search registry: "<registry>/<input>", which keeps the input's
 * tag and digest and gets docker.io's library/ from the parser. */
static int expand_search(const struct registries_conf *conf, const char *input, const char *short_name, bool is_local,
                         struct image_ref ***ret_refs, size_t *ret_n, struct cric_error **err) {
        if (conf->n_search == 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "short name \"%s\": no unqualified-search-registries are configured; use a "
                                      "fully qualified name",
                                      short_name);
        if (!is_local && conf->mode == SHORT_NAME_ENFORCING && conf->n_search > 1) {
                AUTOFREE char *list = join_search(conf);
                return cric_error_set(err, CRIC_E_INVALID,
                                      "short name \"%s\" is ambiguous in enforcing mode: it could come from %s; use a "
                                      "fully qualified name or add an alias",
                                      short_name, list);
        }
        struct image_ref **refs = xcalloc(conf->n_search, sizeof(*refs));
        for (size_t i = 0; i < conf->n_search; i++) {
                AUTOFREE char *full = xasprintf("%s/%s", conf->search[i], input);
                if (image_ref_parse(full, &refs[i], err) < 0) {
                        refs_free(refs, i);
                        return cric_error_prefix(err, "short name \"%s\" in %s", short_name, conf->search[i]);
                }
        }
        *ret_refs = refs;
        *ret_n = conf->n_search;
        return 0;
}

static int expand(const struct registries_conf *conf, const char *input, bool is_local, struct image_ref ***ret_refs,
                  size_t *ret_n, struct cric_error **err) {
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        if (image_ref_parse(input, &ref, err) < 0)
                return -1;
        if (!conf)
                conf = &empty_conf;
        if (ref->had_domain) {
                struct image_ref **refs = xcalloc(1, sizeof(*refs));
                refs[0] = STEAL_PTR(ref);
                *ret_refs = refs;
                *ret_n = 1;
                return 0;
        }
        /* A short name has no port, so its first ':' or '@' starts the tag or digest. */
        size_t name_len = strcspn(input, ":@");
        AUTOFREE char *short_name = xstrndup(input, name_len);
        const struct registry_alias *alias = find_alias(conf, short_name);
        if (!alias)
                return expand_search(conf, input, short_name, is_local, ret_refs, ret_n, err);
        struct image_ref *r = NULL;
        if (expand_alias(alias, ref, input[name_len] == ':', &r, err) < 0)
                return -1;
        *ret_refs = xcalloc(1, sizeof(struct image_ref *));
        (*ret_refs)[0] = r;
        *ret_n = 1;
        return 0;
}

int registries_expand(const struct registries_conf *conf, const char *input, struct image_ref ***ret_refs,
                      size_t *ret_n, struct cric_error **err) {
        return expand(conf, input, false, ret_refs, ret_n, err);
}

int registries_expand_local(const struct registries_conf *conf, const char *input, struct image_ref ***ret_refs,
                            size_t *ret_n, struct cric_error **err) {
        return expand(conf, input, true, ret_refs, ret_n, err);
}

/* ---- prefix matching ---- */

/* How many bytes of refstr e's prefix matches, or 0. A wildcard matches the whole
 * domain (port included) of any strict subdomain. */
static size_t match_len(const struct registry_entry *e, const char *domain, const char *refstr) {
        if (e->is_wildcard) {
                const char *suffix = e->prefix + 1; /* ".example.com" */
                size_t slen = strlen(suffix), dlen = strlen(domain);
                size_t hlen = domain[0] == '[' ? dlen : strcspn(domain, ":");
                return hlen > slen && !memcmp(domain + hlen - slen, suffix, slen) ? dlen : 0;
        }
        size_t plen = strlen(e->prefix);
        if (strncmp(refstr, e->prefix, plen) != 0)
                return 0;
        char c = refstr[plen];
        if (c == '\0' || c == '/' || c == '@')
                return plen;
        /* ':' is a tag only once the prefix is past the domain; before that, a port. */
        if (c == ':' && memchr(e->prefix, '/', plen))
                return plen;
        return 0;
}

/* The entry with the longest match; on a tie an exact prefix beats a wildcard. */
static const struct registry_entry *find_registry(const struct registries_conf *conf, const char *domain,
                                                  const char *refstr, size_t *ret_len) {
        const struct registry_entry *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < conf->n_registries; i++) {
                const struct registry_entry *e = &conf->registries[i];
                size_t len = match_len(e, domain, refstr);
                if (len == 0)
                        continue;
                if (len > best_len || (len == best_len && best->is_wildcard && !e->is_wildcard)) {
                        best = e;
                        best_len = len;
                }
        }
        *ret_len = best_len;
        return best;
}

/* ---- pull sources ---- */

/* The matched part of refstr replaced by location. */
static struct image_ref *rewrite(const char *refstr, size_t match, const char *location, struct cric_error **err) {
        AUTOFREE char *s = xasprintf("%s%s", location, refstr + match);
        struct image_ref *r = NULL;
        if (image_ref_parse(s, &r, err) < 0) {
                cric_error_prefix(err, "rewrite %s with location %s", refstr, location);
                return NULL;
        }
        return r;
}

static bool mirror_applies(const struct registry_entry *e, const struct registry_mirror *m,
                           const struct image_ref *ref) {
        bool by_digest = ref->digest != NULL;
        if (e->mirror_by_digest_only && !by_digest)
                return false;
        switch (m->pull_from) {
        case PULL_FROM_MIRROR_DIGEST_ONLY: return by_digest;
        case PULL_FROM_MIRROR_TAG_ONLY: return !by_digest;
        default: return true;
        }
}

static int entry_sources(const struct registry_entry *e, const struct image_ref *ref, const char *refstr, size_t match,
                         struct pull_source **ret_sources, size_t *ret_n, struct cric_error **err) {
        struct pull_source *sources = xcalloc(e->n_mirrors + 1, sizeof(*sources));
        size_t n = 0;
        for (size_t i = 0; i < e->n_mirrors; i++) {
                const struct registry_mirror *m = &e->mirrors[i];
                if (!mirror_applies(e, m, ref))
                        continue;
                struct image_ref *r = rewrite(refstr, match, m->location, err);
                if (!r) {
                        pull_sources_free(sources, n);
                        return -1;
                }
                sources[n++] = (struct pull_source){.ref = r, .insecure = m->insecure, .is_mirror = true};
        }
        struct image_ref *primary = e->location ? rewrite(refstr, match, e->location, err) : image_ref_copy(ref);
        if (!primary) {
                pull_sources_free(sources, n);
                return -1;
        }
        sources[n++] = (struct pull_source){.ref = primary, .insecure = e->insecure};
        *ret_sources = sources;
        *ret_n = n;
        return 0;
}

int registries_sources(const struct registries_conf *conf, const struct image_ref *ref,
                       struct pull_source **ret_sources, size_t *ret_n, struct cric_error **err) {
        if (!conf)
                conf = &empty_conf;
        AUTOFREE char *refstr = image_ref_string(ref);
        size_t match = 0;
        const struct registry_entry *e = find_registry(conf, ref->domain, refstr, &match);
        if (!e) {
                struct pull_source *s = xcalloc(1, sizeof(*s));
                s->ref = image_ref_copy(ref);
                *ret_sources = s;
                *ret_n = 1;
                return 0;
        }
        if (e->blocked)
                return cric_error_set(err, CRIC_E_PERMISSION, "registry %s is blocked in %s", e->prefix, e->file);
        return entry_sources(e, ref, refstr, match, ret_sources, ret_n, err);
}

void pull_sources_free(struct pull_source *sources, size_t n) {
        if (!sources)
                return;
        for (size_t i = 0; i < n; i++)
                image_ref_free(sources[i].ref);
        free(sources);
}

/* ---- insecure hosts ---- */

static bool location_on_host(const char *location, const char *domain) {
        size_t len = strcspn(location, "/");
        return strlen(domain) == len && !memcmp(location, domain, len);
}

/* True when the entry a bare "host[:port]" selects is insecure, or when any insecure
 * location or mirror lives on that host (a registry client reaching a rewritten
 * location only knows the host). */
bool registries_is_insecure(const struct registries_conf *conf, const char *domain) {
        if (!conf || !domain || !*domain)
                return false;
        size_t match = 0;
        const struct registry_entry *best = find_registry(conf, domain, domain, &match);
        if (best && best->insecure)
                return true;
        for (size_t i = 0; i < conf->n_registries; i++) {
                const struct registry_entry *e = &conf->registries[i];
                if (e->insecure && e->location && location_on_host(e->location, domain))
                        return true;
                for (size_t j = 0; j < e->n_mirrors; j++)
                        if (e->mirrors[j].insecure && location_on_host(e->mirrors[j].location, domain))
                                return true;
        }
        return false;
}

/* The host of "host[:port]" ("[::1]:5000" gives "::1") as an address; false when it
 * is a name. */
static bool domain_addr(const char *domain, int *ret_family, unsigned char addr[16]) {
        char host[64];
        const char *start = domain, *end = NULL;
        if (domain[0] == '[') {
                start = domain + 1;
                end = strchr(start, ']');
        } else {
                end = strchr(domain, ':');
                if (end && strchr(end + 1, ':'))
                        end = NULL; /* a bare IPv6 address */
        }
        size_t len = end ? (size_t) (end - start) : strlen(start);
        if (len == 0 || len >= sizeof(host))
                return false;
        memcpy(host, start, len);
        host[len] = '\0';
        if (inet_pton(AF_INET, host, addr) == 1) {
                *ret_family = AF_INET;
                return true;
        }
        if (inet_pton(AF_INET6, host, addr) == 1) {
                *ret_family = AF_INET6;
                return true;
        }
        return false;
}

static bool in_cidr(const char *cidr, int family, const unsigned char addr[16]) {
        const char *slash = strchr(cidr, '/');
        char net_s[64];
        size_t len = (size_t) (slash - cidr);
        if (len == 0 || len >= sizeof(net_s))
                return false;
        memcpy(net_s, cidr, len);
        net_s[len] = '\0';
        unsigned char net[16];
        if (inet_pton(family, net_s, net) != 1)
                return false;
        char *end = NULL;
        long bits = strtol(slash + 1, &end, 10);
        long max = family == AF_INET ? 32 : 128;
        if (!slash[1] || *end || bits < 0 || bits > max)
                return false;
        for (long i = 0; i < bits; i++) {
                unsigned char mask = (unsigned char) (0x80u >> (i % 8));
                if ((net[i / 8] & mask) != (addr[i / 8] & mask))
                        return false;
        }
        return true;
}

bool registries_insecure_listed(char *const *list, const char *domain) {
        if (!domain || !*domain)
                return false;
        int family = 0;
        unsigned char addr[16];
        bool is_addr = domain_addr(domain, &family, addr);
        for (; list && *list; list++) {
                if (!strcmp(*list, domain))
                        return true;
                if (is_addr && strchr(*list, '/') && in_cidr(*list, family, addr))
                        return true;
        }
        return false;
}
