/* enter_plan_new: config.json's process object and the parts of linux that apply to a
 * process joining the container, or why the container needs its OCI runtime for that. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enter/internal.h"
#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const rlimit_names[ENTER_RLIMITS] = {
        "CPU",     "FSIZE", "DATA",  "STACK",      "CORE",     "RSS",  "NPROC",  "NOFILE",
        "MEMLOCK", "AS",    "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
};

int enter_rlimit_parse(const char *name) {
        if (!name || strncmp(name, "RLIMIT_", 7) != 0)
                return -1;
        for (int i = 0; i < ENTER_RLIMITS; i++)
                if (strcmp(name + 7, rlimit_names[i]) == 0)
                        return i;
        return -1;
}

/* The process fields this file applies; another one (ioPriority, scheduler, ...) leaves
 * the exec to the runtime. */
static const char *const process_keys[] = {
        "terminal",
        "consoleSize",
        "user",
        "args",
        "env",
        "cwd",
        "capabilities",
        "rlimits",
        "noNewPrivileges",
        "apparmorProfile",
        "selinuxLabel",
        "oomScoreAdj",
        "commandLine",
        NULL,
};

static struct json_object *get(struct json_object *o, const char *key, enum json_type type) {
        struct json_object *v = NULL;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static int unqualified(struct cric_error **err, const char *why) {
        return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "%s", why);
}

static int bad(struct cric_error **err, const char *field) {
        return cric_error_set(err, CRIC_E_INVALID, "config.json: %s is malformed", field);
}

/* Which namespaces the container has; a user or time namespace is the runtime's to
 * join (their rules differ: the user namespace first, no shared memory). */
static int check_namespaces(struct json_object *linux, struct cric_error **err) {
        struct json_object *ns = get(linux, "namespaces", json_type_array);
        for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
                const char *type =
                        json_object_get_string(get(json_object_array_get_idx(ns, i), "type", json_type_string));
                if (!type)
                        return bad(err, "linux.namespaces");
                if (strcmp(type, "user") == 0 || strcmp(type, "time") == 0)
                        return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "the container has a %s namespace", type);
        }
        return 0;
}

static int check_process_keys(struct json_object *proc, struct cric_error **err) {
        json_object_object_foreach(proc, key, val) {
                (void) val;
                bool known = false;
                for (size_t i = 0; process_keys[i] && !known; i++)
                        known = strcmp(key, process_keys[i]) == 0;
                if (!known)
                        return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "process.%s is set", key);
        }
        return 0;
}

/* crun reads run.oci.* annotations at exec too (keep_original_groups, ...). */
static int check_annotations(struct json_object *root, struct cric_error **err) {
        struct json_object *a = get(root, "annotations", json_type_object);
        if (!a)
                return 0;
        json_object_object_foreach(a, key, val) {
                (void) val;
                if (strncmp(key, "run.oci.", 8) == 0)
                        return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "annotation %s is set", key);
        }
        return 0;
}

static int parse_user(struct enter_plan *p, struct json_object *proc, struct cric_error **err) {
        struct json_object *user = get(proc, "user", json_type_object), *v;
        if (!user)
                return 0;
        p->uid = (uid_t) json_object_get_int64(get(user, "uid", json_type_int));
        p->gid = (gid_t) json_object_get_int64(get(user, "gid", json_type_int));
        if ((v = get(user, "umask", json_type_int))) {
                p->has_umask = true;
                p->umask = (mode_t) (json_object_get_int64(v) & 07777);
        }
        struct json_object *gids = get(user, "additionalGids", json_type_array);
        size_t n = gids ? json_object_array_length(gids) : 0;
        p->groups = xcalloc(n ? n : 1, sizeof(*p->groups));
        for (size_t i = 0; i < n; i++) {
                struct json_object *g = json_object_array_get_idx(gids, i);
                if (!json_object_is_type(g, json_type_int))
                        return bad(err, "process.user.additionalGids");
                p->groups[i] = (gid_t) json_object_get_int64(g);
        }
        p->n_groups = n;
        if (get(user, "username", json_type_string))
                return unqualified(err, "process.user.username is set");
        return 0;
}

static int parse_caps(struct enter_plan *p, struct json_object *proc, struct cric_error **err) {
        static const char *const sets[CAPS_SETS] = {"bounding", "effective", "inheritable", "permitted", "ambient"};
        struct json_object *caps = get(proc, "capabilities", json_type_object);
        for (int s = 0; s < CAPS_SETS; s++) {
                struct json_object *list = get(caps, sets[s], json_type_array);
                for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                        const char *name = json_object_get_string(json_object_array_get_idx(list, i));
                        int cap = oci_cap_parse(name);
                        if (cap < 0 || cap > 63)
                                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "capability %s is unknown to cric",
                                                      name ? name : "");
                        p->caps[s] |= UINT64_C(1) << cap;
                }
        }
        AUTOFREE char *text = NULL;
        struct cric_error *e = NULL;
        if (fs_read_file("/proc/sys/kernel/cap_last_cap", 64, &text, NULL, &e) < 0) {
                cric_error_free(e);
                p->cap_last = 40;
        } else {
                p->cap_last = atoi(text);
        }
        if (p->cap_last > 63)
                p->cap_last = 63;
        return 0;
}

static int parse_rlimits(struct enter_plan *p, struct json_object *proc, struct cric_error **err) {
        struct json_object *list = get(proc, "rlimits", json_type_array);
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                struct json_object *o = json_object_array_get_idx(list, i);
                int r = enter_rlimit_parse(json_object_get_string(get(o, "type", json_type_string)));
                if (r < 0)
                        return bad(err, "process.rlimits");
                p->has_rlimit[r] = true;
                p->rlimit[r].rlim_cur = (rlim_t) json_object_get_uint64(get(o, "soft", json_type_int));
                p->rlimit[r].rlim_max = (rlim_t) json_object_get_uint64(get(o, "hard", json_type_int));
        }
        return 0;
}

/* A label only where its security module is on (as the runtimes do). */
static void parse_lsm(struct enter_plan *p, struct json_object *proc) {
        const char *aa = json_object_get_string(get(proc, "apparmorProfile", json_type_string));
        const char *se = json_object_get_string(get(proc, "selinuxLabel", json_type_string));
        AUTOFREE char *enabled = NULL;
        if (aa && *aa && fs_read_file_optional("/sys/module/apparmor/parameters/enabled", 16, &enabled, NULL) > 0 &&
            enabled && enabled[0] == 'Y')
                p->apparmor = xasprintf("exec %s", aa);
        if (se && *se && access("/sys/fs/selinux/enforce", F_OK) == 0)
                p->selinux = xstrdup(se);
}

static void parse_env(struct enter_plan *p, struct json_object *proc) {
        struct json_object *env = get(proc, "env", json_type_array);
        const char *path = NULL;
        for (size_t i = 0; env && i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));
                if (!e)
                        continue;
                strv_push(&p->env, e);
                if (strncmp(e, "PATH=", 5) == 0)
                        path = e + 5;
        }
        if (!p->env)
                p->env = xcalloc(1, sizeof(char *));
        /* the runtimes' search path when the environment has none */
        AUTOFREE char *dirs = xstrdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
                strv_push(&p->path, d);
        if (!p->path)
                strv_push(&p->path, ".");
}

static int parse_process(struct enter_plan *p, struct json_object *proc, struct cric_error **err) {
        if (check_process_keys(proc, err) < 0 || parse_user(p, proc, err) < 0 || parse_caps(p, proc, err) < 0 ||
            parse_rlimits(p, proc, err) < 0)
                return -1;
        parse_env(p, proc);
        parse_lsm(p, proc);
        const char *cwd = json_object_get_string(get(proc, "cwd", json_type_string));
        p->cwd = xstrdup(cwd && *cwd ? cwd : "/");
        p->no_new_privs = json_object_get_boolean(get(proc, "noNewPrivileges", json_type_boolean));
        struct json_object *oom = get(proc, "oomScoreAdj", json_type_int);
        if (oom) {
                p->has_oom_score_adj = true;
                p->oom_score_adj = (int) json_object_get_int64(oom);
        }
        return 0;
}

int enter_plan_new(const char *config_json, const char *rootfs, struct enter_plan **ret, struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        if (json_parse_object(config_json, config_json ? strlen(config_json) : 0, "config.json", &root, err) < 0)
                return -1;
        struct json_object *proc = get(root, "process", json_type_object);
        struct json_object *linux = get(root, "linux", json_type_object);
        if (!proc)
                return bad(err, "process");
        if (get(linux, "personality", json_type_object))
                return unqualified(err, "linux.personality is set");
        if (check_namespaces(linux, err) < 0 || check_annotations(root, err) < 0)
                return -1;
        struct enter_plan *p = xzalloc(sizeof(*p));
        if (parse_process(p, proc, err) < 0 ||
            enter_filter_compile(get(linux, "seccomp", json_type_object), &p->filter, err) < 0) {
                enter_plan_free(p);
                return -1;
        }
        enter_plan_add_home(p, rootfs);
        *ret = p;
        return 0;
}

void enter_plan_free(struct enter_plan *p) {
        if (!p)
                return;
        strv_free(p->env);
        strv_free(p->path);
        free(p->cwd);
        free(p->groups);
        free(p->apparmor);
        free(p->selinux);
        enter_filter_clear(&p->filter);
        free(p);
}
