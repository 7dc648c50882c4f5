/* linux.seccomp: which profile (CRI field, or its deprecated string form), and loading a
 * Localhost profile: the JSON is checked against the OCI schema and rebuilt, so only
 * known fields with well-typed values reach the runtime. Docker-format profiles are
 * accepted where they map one-to-one ("archMap", a single "name"). */
#include <stdarg.h>
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define PROFILE_MAX_SIZE (4u << 20)

static const char *const actions[] = {
        "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};
static const char *const arches[] = {
        "SCMP_ARCH_NATIVE",
        "SCMP_ARCH_X86",
        "SCMP_ARCH_X86_64",
        "SCMP_ARCH_X32",
        "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K",
        "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64",
        "SCMP_ARCH_SH",
        "SCMP_ARCH_SHEB",
        NULL,
};
static const char *const flags[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        NULL,
};
static const char *const ops[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static bool in_list(const char *const *list, const char *s) {
        for (; *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}

/* A profile being checked: where we are, for messages. */
struct check {
        const char *path;
        struct cric_error **err;
};

static int bad(struct check *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct check *k, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *what = xvasprintf(fmt, ap);
        va_end(ap);
        return cric_error_set(k->err, CRIC_E_INVALID, "seccomp profile %s: %s", k->path, what);
}

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A string from list, copied to out[key]. Absent is fine unless required. */
static int copy_enum(struct check *k, struct json_object *in, struct json_object *out, const char *key,
                     const char *const *list, bool required) {
        struct json_object *v = get(in, key);
        if (!v)
                return required ? bad(k, "\"%s\" is missing", key) : 0;
        if (!json_object_is_type(v, json_type_string) || (list && !in_list(list, json_object_get_string(v))))
                return bad(k, "\"%s\" has an unknown or non-string value", key);
        spec_set_str(out, key, json_object_get_string(v));
        return 0;
}

static int get_uint(struct check *k, struct json_object *v, const char *key, uint64_t max, uint64_t *ret) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 || json_object_get_uint64(v) > max)
                return bad(k, "\"%s\" is not an unsigned integer in range", key);
        *ret = json_object_get_uint64(v);
        return 0;
}

static int copy_uint(struct check *k, struct json_object *in, struct json_object *out, const char *key, uint64_t max) {
        struct json_object *v = get(in, key);
        uint64_t u = 0;
        if (!v)
                return 0;
        if (get_uint(k, v, key, max, &u) < 0)
                return -1;
        jx_add(out, key, jx_uint64(u));
        return 0;
}

/* An array of strings from list (any string when list is NULL), appended to out. */
static int copy_strings(struct check *k, struct json_object *v, const char *key, const char *const *list,
                        struct json_object *out) {
        if (!json_object_is_type(v, json_type_array))
                return bad(k, "\"%s\" is not an array", key);
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                struct json_object *s = json_object_array_get_idx(v, i);
                if (!json_object_is_type(s, json_type_string) || (list && !in_list(list, json_object_get_string(s))))
                        return bad(k, "\"%s\" holds an unknown or non-string value", key);
                jx_append(out, jx_string(json_object_get_string(s)));
        }
        return 0;
}

static int check_arg(struct check *k, struct json_object *a, struct json_object *out_args) {
        if (!json_object_is_type(a, json_type_object))
                return bad(k, "an entry of \"%s\" is not an object", "args");
        struct json_object *o = jx_object();
        jx_append(out_args, o);
        struct json_object *index = get(a, "index"), *value = get(a, "value");
        if (!index || !value)
                return bad(k, "an entry of \"%s\" lacks index or value", "args");
        if (copy_uint(k, a, o, "index", 5) < 0 || copy_uint(k, a, o, "value", UINT64_MAX) < 0 ||
            copy_uint(k, a, o, "valueTwo", UINT64_MAX) < 0)
                return -1;
        return copy_enum(k, a, o, "op", ops, true);
}

/* "includes"/"excludes" make a Docker rule conditional; we don't evaluate them, and
 * dropping a condition could widen the profile, so a non-empty one is refused. */
static int check_conditions(struct check *k, struct json_object *rule) {
        static const char *const keys[] = {"includes", "excludes"};
        for (size_t i = 0; i < 2; i++) {
                struct json_object *v = get(rule, keys[i]);
                if (v && !(json_object_is_type(v, json_type_object) && json_object_object_length(v) == 0) &&
                    !json_object_is_type(v, json_type_null))
                        return bad(k, "conditional rules (\"%s\") are not supported", keys[i]);
        }
        return 0;
}

static int check_names(struct check *k, struct json_object *rule, struct json_object *out) {
        struct json_object *names = jx_array();
        jx_add(out, "names", names);
        struct json_object *v = get(rule, "names"), *name = get(rule, "name");
        if (v && copy_strings(k, v, "names", NULL, names) < 0)
                return -1;
        if (name && !json_object_is_type(name, json_type_string))
                return bad(k, "\"%s\" is not a string", "name");
        if (name)
                jx_append(names, jx_string(json_object_get_string(name)));
        if (json_object_array_length(names) == 0)
                return bad(k, "a rule of \"%s\" names no syscall", "syscalls");
        return 0;
}

static int check_rule(struct check *k, struct json_object *rule, struct json_object *out_rules) {
        if (!json_object_is_type(rule, json_type_object))
                return bad(k, "an entry of \"%s\" is not an object", "syscalls");
        struct json_object *o = jx_object();
        jx_append(out_rules, o);
        if (check_conditions(k, rule) < 0 || check_names(k, rule, o) < 0 ||
            copy_enum(k, rule, o, "action", actions, true) < 0 || copy_uint(k, rule, o, "errnoRet", UINT32_MAX) < 0)
                return -1;
        struct json_object *args = get(rule, "args");
        if (!args || json_object_is_type(args, json_type_null))
                return 0;
        if (!json_object_is_type(args, json_type_array))
                return bad(k, "\"%s\" is not an array", "args");
        struct json_object *out_args = jx_array();
        jx_add(o, "args", out_args);
        for (size_t i = 0; i < json_object_array_length(args); i++)
                if (check_arg(k, json_object_array_get_idx(args, i), out_args) < 0)
                        return -1;
        return 0;
}

/* "architectures", or Docker's "archMap" flattened into it. */
static int check_arches(struct check *k, struct json_object *in, struct json_object *out) {
        struct json_object *list = jx_array();
        jx_add(out, "architectures", list);
        struct json_object *v = get(in, "architectures"), *map = get(in, "archMap");
        if (v && !json_object_is_type(v, json_type_null))
                return copy_strings(k, v, "architectures", arches, list);
        if (!map || json_object_is_type(map, json_type_null))
                return 0;
        if (!json_object_is_type(map, json_type_array))
                return bad(k, "\"%s\" is not an array", "archMap");
        for (size_t i = 0; i < json_object_array_length(map); i++) {
                struct json_object *e = json_object_array_get_idx(map, i), *sub;
                struct json_object *arch = json_object_is_type(e, json_type_object) ? get(e, "architecture") : NULL;
                if (!arch || !json_object_is_type(arch, json_type_string) ||
                    !in_list(arches, json_object_get_string(arch)))
                        return bad(k, "an entry of \"%s\" has no known architecture", "archMap");
                jx_append(list, jx_string(json_object_get_string(arch)));
                sub = get(e, "subArchitectures");
                if (sub && !json_object_is_type(sub, json_type_null) &&
                    copy_strings(k, sub, "subArchitectures", arches, list) < 0)
                        return -1;
        }
        return 0;
}

static int check_profile(struct check *k, struct json_object *in, struct json_object *out) {
        if (!json_object_is_type(in, json_type_object))
                return bad(k, "not a JSON object");
        if (copy_enum(k, in, out, "defaultAction", actions, true) < 0 ||
            copy_uint(k, in, out, "defaultErrnoRet", UINT32_MAX) < 0 || check_arches(k, in, out) < 0 ||
            copy_enum(k, in, out, "listenerPath", NULL, false) < 0 ||
            copy_enum(k, in, out, "listenerMetadata", NULL, false) < 0)
                return -1;
        struct json_object *f = get(in, "flags");
        if (f && !json_object_is_type(f, json_type_null)) {
                struct json_object *list = jx_array();
                jx_add(out, "flags", list);
                if (copy_strings(k, f, "flags", flags, list) < 0)
                        return -1;
        }
        struct json_object *rules = get(in, "syscalls");
        if (!rules || json_object_is_type(rules, json_type_null))
                return 0;
        if (!json_object_is_type(rules, json_type_array))
                return bad(k, "\"%s\" is not an array", "syscalls");
        struct json_object *out_rules = jx_array();
        jx_add(out, "syscalls", out_rules);
        for (size_t i = 0; i < json_object_array_length(rules); i++)
                if (check_rule(k, json_object_array_get_idx(rules, i), out_rules) < 0)
                        return -1;
        return 0;
}

static int load_localhost(const char *path, struct json_object **ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        CLEANUP(cric_error_freep) struct cric_error *rerr = NULL;
        if (fs_read_file(path, PROFILE_MAX_SIZE, &data, &len, &rerr) < 0) {
                if (rerr->kind == CRIC_E_NOT_FOUND)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "seccomp profile %s not found", path);
                cric_error_move(err, &rerr);
                return cric_error_prefix(err, "seccomp profile");
        }
        AUTOFREE char *what = xasprintf("seccomp profile %s", path);
        AUTOJSON struct json_object *in = NULL;
        if (json_parse_strict(data, len, what, &in, err) < 0)
                return -1;
        AUTOJSON struct json_object *out = jx_object();
        struct check k = {.path = path, .err = err};
        if (check_profile(&k, in, out) < 0)
                return -1;
        *ret = STEAL_PTR(out);
        return 0;
}

int spec_seccomp_load(const char *path, struct json_object **ret, struct cric_error **err) {
        return load_localhost(path, ret, err);
}

/* The deprecated string form: "", "unconfined", "runtime/default", "docker/default",
 * "localhost/<absolute path>". */
static int parse_legacy(const char *s, struct oci_security_profile *p, struct cric_error **err) {
        *p = (struct oci_security_profile){.is_set = true, .type = OCI_PROFILE_UNCONFINED};
        if (str_empty(s) || strcmp(s, "unconfined") == 0)
                return 0;
        if (strcmp(s, "runtime/default") == 0 || strcmp(s, "docker/default") == 0) {
                p->type = OCI_PROFILE_RUNTIME_DEFAULT;
                return 0;
        }
        if (strncmp(s, "localhost/", 10) == 0) {
                p->type = OCI_PROFILE_LOCALHOST;
                p->localhost_ref = s + 10;
                return 0;
        }
        return cric_error_set(err, CRIC_E_INVALID, "unknown seccomp profile \"%s\"", s);
}

int spec_add_seccomp(struct spec_ctx *c, struct cric_error **err) {
        if (c->sec->is_privileged)
                return 0;
        struct oci_security_profile p = c->sec->seccomp;
        if (!p.is_set && parse_legacy(c->sec->seccomp_profile_path, &p, err) < 0)
                return cric_error_prefix(err, "%s", c->what);
        struct json_object *profile = NULL;
        switch (p.type) {
        case OCI_PROFILE_UNCONFINED: return 0;
        case OCI_PROFILE_RUNTIME_DEFAULT:
                /* The node's seccomp_profile replaces the built-in one. */
                if (str_empty(c->node->seccomp_profile))
                        profile = seccomp_default_profile(c->caps);
                else if (load_localhost(c->node->seccomp_profile, &profile, err) < 0)
                        return cric_error_prefix(err, "%s: seccomp_profile", c->what);
                break;
        case OCI_PROFILE_LOCALHOST:
                if (str_empty(p.localhost_ref) || p.localhost_ref[0] != '/')
                        return cric_error_set(err, CRIC_E_INVALID, "%s: seccomp profile path \"%s\" is not absolute",
                                              c->what, p.localhost_ref ? p.localhost_ref : "");
                if (load_localhost(p.localhost_ref, &profile, err) < 0)
                        return cric_error_prefix(err, "%s", c->what);
                break;
        default: return cric_error_set(err, CRIC_E_INVALID, "%s: unknown seccomp profile type %d", c->what, p.type);
        }
        jx_add(c->lnx, "seccomp", profile);
        return 0;
}
