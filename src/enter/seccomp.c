/* linux.seccomp compiled to classic BPF, with the rules crun would give libseccomp for
 * the same profile (same library, same calls, same order: the same program):
 *
 * - a rule whose action (errno included) equals the default action is skipped, and so
 *   are syscall names libseccomp does not know (a profile may list newer ones);
 * - errnoRet/defaultErrnoRet default to EPERM and are refused on actions but ERRNO and
 *   TRACE (TRACE takes it as its message number);
 * - up to 6 args: on distinct indexes they are one rule that needs them all; when an
 *   index repeats, libseccomp refuses them together, so each becomes a rule of its own
 *   and any one of them matches;
 * - nothing is added for syscalls newer than the profile: they get the default action;
 * - flags are not libseccomp attributes here (those only change seccomp_load): they go
 *   out in ret->flags, SPEC_ALLOW when the profile has no "flags" at all.
 * SCMP_ARCH_NATIVE, which crun cannot resolve, is taken as the native architecture. */
#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enter/seccomp.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define MAX_ARGS 6

static const struct {
        const char *name;
        unsigned int flag;
} flag_names[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* Actions without an errno; ERRNO and TRACE carry one, NOTIFY needs the runtime. */
static const struct {
        const char *name;
        uint32_t action;
} action_names[] = {
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
        {"SCMP_ACT_KILL", SCMP_ACT_KILL},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG},
};

static const struct {
        const char *name;
        enum scmp_compare op;
} op_names[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void ctx_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

/* o[key], with JSON null read as absent. */
static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int get_uint(struct json_object *v, uint64_t max, const char *where, const char *key, uint64_t *ret,
                    struct cric_error **err) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 || json_object_get_uint64(v) > max)
                return cric_error_set(err, CRIC_E_INVALID, "%s.%s: not an unsigned integer in range", where, key);
        *ret = json_object_get_uint64(v);
        return 0;
}

static const char *get_string(struct json_object *o, const char *key, const char *where, struct cric_error **err) {
        struct json_object *v = get(o, key);
        if (!v || !json_object_is_type(v, json_type_string)) {
                cric_error_set(err, CRIC_E_INVALID, "%s.%s: missing or not a string", where, key);
                return NULL;
        }
        return json_object_get_string(v);
}

/* o[key] as a libseccomp action; ERRNO and TRACE take o[errno_key], EPERM by default. */
static int get_action(struct json_object *o, const char *key, const char *errno_key, const char *where, uint32_t *ret,
                      struct cric_error **err) {
        const char *name = get_string(o, key, where, err);
        if (!name)
                return -1;
        bool takes_errno = strcmp(name, "SCMP_ACT_ERRNO") == 0 || strcmp(name, "SCMP_ACT_TRACE") == 0;
        uint64_t errno_ret = EPERM;
        struct json_object *e = get(o, errno_key);
        if (e && !takes_errno)
                return cric_error_set(err, CRIC_E_INVALID, "%s.%s: given for %s", where, errno_key, name);
        if (e && get_uint(e, UINT32_MAX, where, errno_key, &errno_ret, err) < 0)
                return -1;
        if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
                *ret = SCMP_ACT_ERRNO((uint32_t) errno_ret);
                return 0;
        }
        if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
                *ret = SCMP_ACT_TRACE((uint32_t) errno_ret);
                return 0;
        }
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "%s.%s: SCMP_ACT_NOTIFY needs the OCI runtime", where,
                                      key);
        for (size_t i = 0; i < N_ELEMS(action_names); i++)
                if (strcmp(name, action_names[i].name) == 0) {
                        *ret = action_names[i].action;
                        return 0;
                }
        return cric_error_set(err, CRIC_E_INVALID, "%s.%s: unknown action \"%s\"", where, key, name);
}

/* The profile's flags; with no "flags" at all crun passes SPEC_ALLOW, with [] nothing. */
static int get_flags(struct json_object *seccomp, unsigned int *ret, struct cric_error **err) {
        struct json_object *list = get(seccomp, "flags");
        *ret = 0;
        if (!list) {
                *ret = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
                return 0;
        }
        if (!json_object_is_type(list, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "linux.seccomp.flags: not an array");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(list, i));
                size_t k = 0;
                while (k < N_ELEMS(flag_names) && (!name || strcmp(name, flag_names[k].name) != 0))
                        k++;
                if (k == N_ELEMS(flag_names))
                        return cric_error_set(err, CRIC_E_INVALID, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                                              name ? name : "");
                *ret |= flag_names[k].flag;
        }
        return 0;
}

static int add_arches(scmp_filter_ctx ctx, struct json_object *seccomp, struct cric_error **err) {
        struct json_object *list = get(seccomp, "architectures");
        if (!list)
                return 0;
        if (!json_object_is_type(list, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "linux.seccomp.architectures: not an array");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(list, i));
                if (!name)
                        name = "";
                /* SCMP_ARCH_X86_64 -> x86_64, the name libseccomp resolves. */
                const char *p = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
                char lower[32] = "";
                for (size_t k = 0; p[k] && k < sizeof(lower) - 1; k++)
                        lower[k] = (char) tolower((unsigned char) p[k]);
                uint32_t arch = strcmp(lower, "native") == 0 ? seccomp_arch_native() : seccomp_arch_resolve_name(lower);
                if (arch == 0)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i, name);
                int r = seccomp_arch_add(ctx, arch);
                if (r < 0 && r != -EEXIST)
                        return cric_error_errno(err, CRIC_E_INTERNAL, -r, "seccomp: add architecture %s", name);
        }
        return 0;
}

/* The rule's conditions (the first MAX_ARGS, as crun); *ret_repeats when an index repeats. */
static int get_args(struct json_object *args, const char *where, struct scmp_arg_cmp *ret, size_t *ret_n,
                    bool *ret_repeats, struct cric_error **err) {
        bool seen[MAX_ARGS] = {false};
        size_t n = json_object_array_length(args);
        *ret_repeats = false;
        if (n > MAX_ARGS)
                n = MAX_ARGS;
        for (size_t k = 0; k < n; k++) {
                struct json_object *a = json_object_array_get_idx(args, k), *v;
                AUTOFREE char *at = xasprintf("%s.args[%zu]", where, k);
                uint64_t index = 0, value = 0, value_two = 0;
                if (!json_object_is_type(a, json_type_object))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: not an object", at);
                if (!(v = get(a, "index")))
                        return cric_error_set(err, CRIC_E_INVALID, "%s.index: missing", at);
                if (get_uint(v, MAX_ARGS - 1, at, "index", &index, err) < 0)
                        return -1;
                if (!(v = get(a, "value")))
                        return cric_error_set(err, CRIC_E_INVALID, "%s.value: missing", at);
                if (get_uint(v, UINT64_MAX, at, "value", &value, err) < 0)
                        return -1;
                if ((v = get(a, "valueTwo")) && get_uint(v, UINT64_MAX, at, "valueTwo", &value_two, err) < 0)
                        return -1;
                const char *op = get_string(a, "op", at, err);
                if (!op)
                        return -1;
                size_t o = 0;
                while (o < N_ELEMS(op_names) && strcmp(op, op_names[o].name) != 0)
                        o++;
                if (o == N_ELEMS(op_names))
                        return cric_error_set(err, CRIC_E_INVALID, "%s.op: unknown operator \"%s\"", at, op);
                *ret_repeats |= seen[index];
                seen[index] = true;
                ret[k] = (struct scmp_arg_cmp){
                        .arg = (unsigned) index, .op = op_names[o].op, .datum_a = value, .datum_b = value_two};
        }
        *ret_n = n;
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, struct json_object *rule, const char *where, uint32_t default_action,
                    struct cric_error **err) {
        if (!json_object_is_type(rule, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: not an object", where);
        uint32_t action = 0;
        if (get_action(rule, "action", "errnoRet", where, &action, err) < 0)
                return -1;
        if (action == default_action)
                return 0;
        struct json_object *names = get(rule, "names"), *args = get(rule, "args");
        if (names && !json_object_is_type(names, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "%s.names: not an array", where);
        if (args && !json_object_is_type(args, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "%s.args: not an array", where);
        struct scmp_arg_cmp cmp[MAX_ARGS];
        size_t n_cmp = 0;
        bool repeats = false, have_args = false;
        for (size_t i = 0; names && i < json_object_array_length(names); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("seccomp: unknown syscall \"%s\", skipped", name ? name : "");
                        continue;
                }
                /* crun reads the args of a rule only once one of its names is known. */
                if (args && !have_args && get_args(args, where, cmp, &n_cmp, &repeats, err) < 0)
                        return -1;
                have_args = true;
                int r = 0;
                if (!repeats)
                        r = seccomp_rule_add_array(ctx, action, nr, (unsigned) n_cmp, cmp);
                for (size_t k = 0; repeats && k < n_cmp && r >= 0; k++)
                        r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[k]);
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_INVALID, -r, "%s: rule for %s", where, name);
        }
        return 0;
}

static int add_rules(scmp_filter_ctx ctx, struct json_object *seccomp, uint32_t default_action,
                     struct cric_error **err) {
        struct json_object *rules = get(seccomp, "syscalls");
        if (!rules)
                return 0;
        if (!json_object_is_type(rules, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "linux.seccomp.syscalls: not an array");
        for (size_t i = 0; i < json_object_array_length(rules); i++) {
                AUTOFREE char *where = xasprintf("linux.seccomp.syscalls[%zu]", i);
                if (add_rule(ctx, json_object_array_get_idx(rules, i), where, default_action, err) < 0)
                        return -1;
        }
        return 0;
}

/* libseccomp 2.5 exports only to an fd: through a memfd and back. */
static int export_bpf(scmp_filter_ctx ctx, struct enter_filter *ret, struct cric_error **err) {
        AUTOCLOSE int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "seccomp: memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, -r, "seccomp: export the filter");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "seccomp: stat the exported filter");
        size_t size = (size_t) st.st_size, n = size / sizeof(struct sock_filter);
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "seccomp: the exported filter has %zu bytes", size);
        if (n > BPF_MAXINSNS)
                return cric_error_set(err, CRIC_E_INVALID, "seccomp: the filter has %zu instructions, more than %d", n,
                                      BPF_MAXINSNS);
        AUTOFREE struct sock_filter *insns = xmalloc(size);
        for (size_t done = 0; done < size;) {
                ssize_t got = pread(fd, (char *) insns + done, size - done, (off_t) done);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, got < 0 ? errno : EIO,
                                                "seccomp: read the exported filter");
                done += (size_t) got;
        }
        ret->insns = STEAL_PTR(insns);
        ret->len = (unsigned short) n;
        return 0;
}

int enter_filter_compile(struct json_object *seccomp, struct enter_filter *ret, struct cric_error **err) {
        struct enter_filter f = {0};
        if (!seccomp) {
                *ret = f;
                return 0;
        }
        if (!json_object_is_type(seccomp, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "linux.seccomp: not an object");
        struct json_object *listener = get(seccomp, "listenerPath");
        if (listener && (!json_object_is_type(listener, json_type_string) || json_object_get_string_len(listener) > 0))
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED,
                                      "linux.seccomp.listenerPath: a seccomp listener needs the OCI runtime");
        uint32_t default_action = 0;
        if (get_flags(seccomp, &f.flags, err) < 0 ||
            get_action(seccomp, "defaultAction", "defaultErrnoRet", "linux.seccomp", &default_action, err) < 0)
                return -1;
        CLEANUP(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(default_action);
        if (!ctx)
                return cric_error_set(err, CRIC_E_INTERNAL, "seccomp: cannot make a filter with defaultAction 0x%x",
                                      default_action);
        /* Only seccomp_load would read it; the caller sets no_new_privs as the config says. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, -r, "seccomp: clear the no_new_privs attribute");
        if (add_arches(ctx, seccomp, err) < 0 || add_rules(ctx, seccomp, default_action, err) < 0 ||
            export_bpf(ctx, &f, err) < 0)
                return -1;
        *ret = f;
        return 0;
}

void enter_filter_clear(struct enter_filter *f) {
        free(f->insns);
        *f = (struct enter_filter){0};
}
