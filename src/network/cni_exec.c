/* Running CNI plugins: ADD, DEL, CHECK, STATUS and GC over a network's plugin list.
 *
 * Each call gets the plugin's own config object with the list's "name" and
 * "cniVersion" injected, "prevResult" where the spec asks for it (ADD from 0.3.0 on,
 * DEL and CHECK from 0.4.0 on), and a "runtimeConfig" holding only the capability
 * args the plugin declares. A plugin's failure is its error JSON on stdout
 * ({"code", "msg", "details"}), else its exit status and stderr. No state but the
 * cache dir: calls for different attachments may run in parallel. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DEFAULT_TIMEOUT_MS 60000u
#define DEFAULT_IFNAME     "eth0"

extern char **environ;

static void result_freep(struct cni_result **r) {
        cni_result_free(*r);
}

static struct cni_result *result_drop(struct cni_result *r) {
        cni_result_free(r);
        return NULL;
}

static const char *json_text(struct json_object *o) {
        return jx_to_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Everything one plugin invocation needs besides the plugin. */
struct call {
        const struct cni_net *net;
        const struct cni_exec_opts *o;
        const char *verb;
        const char *container_id, *netns, *ifname; /* NULL for STATUS and GC */
        const char *cni_args;                      /* the CNI_ARGS value */
        struct json_object *cap_args;              /* every capability arg; may be NULL */
        const char *prev_result;                   /* JSON text or NULL */
        struct json_object *valid_attachments;     /* GC only */
        enum cric_error_kind fail_kind;            /* for a failure the plugin reports */
};

/* ---- the attachment's parameters ---- */

static bool is_valid_container_id(const char *s) {
        if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

/* The spec's (and the kernel's) rule for interface names. */
static bool is_valid_ifname(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n < 16 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strcspn(s, "/: \t\n\r\v\f") == n;
}

static const char *ifname_of(const struct cni_attachment *a) {
        return a->ifname && *a->ifname ? a->ifname : DEFAULT_IFNAME;
}

static int check_attachment(const struct cni_attachment *a, struct cric_error **err) {
        if (!is_valid_container_id(a->container_id))
                return cric_error_set(err, CRIC_E_INVALID, "invalid CNI container id \"%s\"",
                                      a->container_id ? a->container_id : "");
        if (!is_valid_ifname(ifname_of(a)))
                return cric_error_set(err, CRIC_E_INVALID, "invalid interface name \"%s\"", ifname_of(a));
        for (size_t i = 0; a->args && a->args[i]; i += 2) {
                const char *k = a->args[i], *v = a->args[i + 1];
                if (!v)
                        return cric_error_set(err, CRIC_E_INVALID, "CNI arg \"%s\" without a value", k);
                if (!*k || strpbrk(k, "=;") || strchr(v, ';'))
                        return cric_error_set(err, CRIC_E_INVALID, "invalid CNI arg \"%s=%s\"", k, v);
        }
        return 0;
}

/* CNI_ARGS from pairs (key, value, ..., NULL): "IgnoreUnknown=1;K=V;...". */
static char *cni_args_string(const char *const *args) {
        char *s = xstrdup("IgnoreUnknown=1");
        for (size_t i = 0; args && args[i] && args[i + 1]; i += 2) {
                char *n = xasprintf("%s;%s=%s", s, args[i], args[i + 1]);
                free(s);
                s = n;
        }
        return s;
}

static struct json_object *port_mappings_json(const struct cni_attachment *a) {
        struct json_object *pm = jx_array();
        for (size_t i = 0; i < a->n_port_mappings; i++) {
                const struct cni_port_mapping *p = &a->port_mappings[i];
                struct json_object *o = jx_object();
                jx_add(o, "hostPort", jx_int64(p->host_port));
                jx_add(o, "containerPort", jx_int64(p->container_port));
                jx_add(o, "protocol", jx_string(p->protocol && *p->protocol ? p->protocol : "tcp"));
                if (p->host_ip && *p->host_ip)
                        jx_add(o, "hostIP", jx_string(p->host_ip));
                jx_append(pm, o);
        }
        return pm;
}

static void add_rate(struct json_object *o, const char *key, uint64_t v) {
        if (v)
                jx_add(o, key, jx_uint64(v));
}

/* Every capability arg the runtime has for this attachment, in the conventions' form. */
static struct json_object *cap_args_json(const struct cni_attachment *a) {
        struct json_object *c = jx_object();
        if (a->n_port_mappings)
                jx_add(c, "portMappings", port_mappings_json(a));
        if (a->bandwidth) {
                struct json_object *b = jx_object();
                add_rate(b, "ingressRate", a->bandwidth->ingress_rate);
                add_rate(b, "ingressBurst", a->bandwidth->ingress_burst);
                add_rate(b, "egressRate", a->bandwidth->egress_rate);
                add_rate(b, "egressBurst", a->bandwidth->egress_burst);
                jx_add(c, "bandwidth", b);
        }
        if (a->ip_ranges && a->ip_ranges[0]) {
                /* One range set per subnet, so a dual-stack pod gets one address of each. */
                struct json_object *sets = jx_array();
                for (size_t i = 0; a->ip_ranges[i]; i++) {
                        struct json_object *range = jx_object(), *set = jx_array();
                        jx_add(range, "subnet", jx_string(a->ip_ranges[i]));
                        jx_append(set, range);
                        jx_append(sets, set);
                }
                jx_add(c, "ipRanges", sets);
        }
        if (a->dns) {
                struct json_object *d = jx_object();
                jx_add(d, "servers", jx_strv(a->dns->servers));
                jx_add(d, "searches", jx_strv(a->dns->searches));
                jx_add(d, "options", jx_strv(a->dns->options));
                jx_add(c, "dns", d);
        }
        return c;
}

/* ---- one plugin ---- */

static char *find_plugin(const struct cni_exec_opts *o, const char *type) {
        for (size_t i = 0; o->plugin_dirs && o->plugin_dirs[i]; i++) {
                char *path = xasprintf("%s/%s", o->plugin_dirs[i], type);
                if (fs_is_executable(path))
                        return path;
                free(path);
        }
        return NULL;
}

static char *join_dirs(char *const *dirs) {
        char *s = xstrdup("");
        for (size_t i = 0; dirs && dirs[i]; i++) {
                char *n = xasprintf("%s%s%s", s, i ? ":" : "", dirs[i]);
                free(s);
                s = n;
        }
        return s;
}

/* The daemon's environment without CNI_* variables, then the call's. */
static char **build_env(const struct call *c) {
        char **env = xzalloc(sizeof(char *));
        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "CNI_", 4) != 0)
                        strv_push(&env, *e);
        strv_push_take(&env, xasprintf("CNI_COMMAND=%s", c->verb));
        if (c->container_id) {
                strv_push_take(&env, xasprintf("CNI_CONTAINERID=%s", c->container_id));
                strv_push_take(&env, xasprintf("CNI_NETNS=%s", c->netns ? c->netns : ""));
                strv_push_take(&env, xasprintf("CNI_IFNAME=%s", c->ifname));
                strv_push_take(&env, xasprintf("CNI_ARGS=%s", c->cni_args ? c->cni_args : ""));
        }
        AUTOFREE char *path = join_dirs(c->o->plugin_dirs);
        strv_push_take(&env, xasprintf("CNI_PATH=%s", path));
        return env;
}

/* runtimeConfig: the capability args whose capability the plugin declares true. */
static void inject_runtime_config(struct json_object *conf, struct json_object *cap_args) {
        struct json_object *caps;
        if (!cap_args || !json_object_object_get_ex(conf, "capabilities", &caps) ||
            !json_object_is_type(caps, json_type_object))
                return;
        struct json_object *rc = NULL;
        json_object_object_foreach(cap_args, key, val) {
                struct json_object *declared;
                if (!json_object_object_get_ex(caps, key, &declared) || !json_object_get_boolean(declared))
                        continue;
                if (!rc)
                        rc = jx_object();
                jx_add(rc, key, json_object_get(val));
        }
        if (rc)
                jx_add(conf, "runtimeConfig", rc);
}

static int build_stdin(const struct call *c, size_t i, char **ret, struct cric_error **err) {
        AUTOJSON struct json_object *conf = NULL;
        if (json_parse_object(c->net->plugins[i], strlen(c->net->plugins[i]), "plugin config", &conf, err) < 0)
                return -1;
        jx_add(conf, "name", jx_string(c->net->name));
        jx_add(conf, "cniVersion", jx_string(cni_version_to_string(c->net->version)));
        json_object_object_del(conf, "prevResult");
        if (c->prev_result) {
                struct json_object *prev = NULL;
                if (json_parse_strict(c->prev_result, strlen(c->prev_result), "prevResult", &prev, err) < 0)
                        return -1;
                jx_add(conf, "prevResult", prev);
        }
        inject_runtime_config(conf, c->cap_args);
        if (c->valid_attachments) {
                /* libcni sends both names: early 1.1 texts of the spec used the second. */
                jx_add(conf, "cni.dev/valid-attachments", json_object_get(c->valid_attachments));
                jx_add(conf, "cni.dev/attachments", json_object_get(c->valid_attachments));
        }
        *ret = xstrdup(json_text(conf));
        return 0;
}

static char *trimmed(const char *s, size_t max) {
        while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
                s++;
        size_t n = strlen(s);
        while (n && strchr(" \n\t\r", s[n - 1]))
                n--;
        return xstrndup(s, n < max ? n : max);
}

/* What a failed plugin said: "<msg>: <details>" from its error JSON, else its exit
 * status with stderr (or stdout when stderr is empty). */
static char *failure_text(int status, const char *out, const char *errs) {
        AUTOJSON struct json_object *o = NULL;
        CLEANUP(cric_error_freep) struct cric_error *ignored = NULL;
        if (json_parse_object(out, strlen(out), NULL, &o, &ignored) == 0) {
                struct json_object *msg, *details, *code;
                const char *m = json_object_object_get_ex(o, "msg", &msg) ? json_object_get_string(msg) : NULL;
                const char *d =
                        json_object_object_get_ex(o, "details", &details) ? json_object_get_string(details) : NULL;
                if (m && *m)
                        return d && *d ? xasprintf("%.4096s: %.4096s", m, d) : xasprintf("%.4096s", m);
                if (json_object_object_get_ex(o, "code", &code))
                        return xasprintf("error code %d%s%.4096s", json_object_get_int(code), d && *d ? ": " : "",
                                         d && *d ? d : "");
        }
        AUTOFREE char *text = trimmed(*errs ? errs : out, 4096);
        return xasprintf("exit status %d%s%s", status, *text ? ": " : "", text);
}

/* Runs plugin i with c. 0 with its stdout (owned by the caller) when it exited 0. */
static int run_plugin(const struct call *c, size_t i, char **ret_out, struct cric_error **err) {
        const char *type = c->net->types[i];
        AUTOFREE char *path = find_plugin(c->o, type);
        if (!path) {
                AUTOFREE char *dirs = join_dirs(c->o->plugin_dirs);
                return cric_error_set(err, CRIC_E_NOT_FOUND, "network \"%s\": plugin %s: %s: not found in %s",
                                      c->net->name, type, c->verb, *dirs ? dirs : "(no plugin dirs)");
        }
        AUTOFREE char *input = NULL;
        if (build_stdin(c, i, &input, err) < 0)
                return cric_error_prefix(err, "network \"%s\": plugin %s: %s", c->net->name, type, c->verb);
        CLEANUP(strv_freep) char **env = build_env(c);
        char *argv[] = {path, NULL};
        struct spawn_opts so = {
                .env = env,
                .stdin_data = input,
                .stdin_len = strlen(input),
                .timeout_ms = c->o->timeout_ms ? c->o->timeout_ms : DEFAULT_TIMEOUT_MS,
        };
        log_debug("cni: network \"%s\": %s %s (container %s, ifname %s)", c->net->name, c->verb, path,
                  c->container_id ? c->container_id : "-", c->ifname ? c->ifname : "-");
        AUTOFREE char *out = NULL;
        AUTOFREE char *errs = NULL;
        int status = spawn_run_status(argv, &so, &out, &errs, err);
        if (status < 0)
                return cric_error_prefix(err, "network \"%s\": plugin %s: %s", c->net->name, type, c->verb);
        if (status != 0) {
                AUTOFREE char *why = failure_text(status, out, errs);
                return cric_error_set(err, c->fail_kind, "network \"%s\": plugin %s: %s: %s", c->net->name, type,
                                      c->verb, why);
        }
        if (*errs)
                log_debug("cni: network \"%s\": plugin %s: %s: stderr: %s", c->net->name, type, c->verb, errs);
        if (ret_out)
                *ret_out = STEAL_PTR(out);
        return 0;
}

/* ---- verbs ---- */

/* Keeps the first failure in *err (if err) and logs later ones at debug. */
static void keep_first(int *r, struct cric_error **err, struct cric_error **e) {
        if (!*e)
                return;
        if (*r == 0) {
                *r = cric_error_move(err, e);
        } else {
                log_debug("cni: %s", (*e)->msg);
        }
        *e = cric_error_free(*e);
}

/* DEL through plugins last..0 in reverse, going on after failures. 0, or -1 with the
 * first failure. */
static int del_plugins(struct call *c, size_t last, struct cric_error **err) {
        c->verb = "DEL";
        if (c->net->version < CNI_V040)
                c->prev_result = NULL;
        int r = 0;
        for (size_t i = last + 1; i-- > 0;) {
                struct cric_error *e = NULL;
                run_plugin(c, i, NULL, &e);
                keep_first(&r, err, &e);
        }
        return r;
}

/* Undoes a failed ADD whose plugins 0..last ran; prev is the last good result. */
static void rollback(struct call *c, size_t last, const char *prev) {
        c->prev_result = prev;
        struct cric_error *e = NULL;
        if (del_plugins(c, last, &e) < 0)
                cric_error_log_free(&e, "undo failed CNI ADD of %s, ignoring", c->container_id);
}

/* A plugin that exits 0 must print a result for ADD. */
static int check_add_output(const struct call *c, size_t i, const char *out, struct cni_result **ret,
                            struct cric_error **err) {
        struct cric_error *e = NULL;
        if (cni_result_parse(out, strlen(out), ret, &e) == 0)
                return 0;
        e->kind = CRIC_E_INTERNAL; /* the plugin's fault, not the caller's */
        cric_error_prefix(&e, "network \"%s\": plugin %s: ADD", c->net->name, c->net->types[i]);
        return cric_error_move(err, &e);
}

static int cache_add(const struct call *c, const struct cni_attachment *a, const char *result,
                     struct cric_error **err) {
        CLEANUP(strv_freep) char **args = xzalloc(sizeof(char *));
        for (size_t i = 0; a->args && a->args[i]; i++)
                strv_push(&args, a->args[i]);
        struct cni_cache_entry e = {
                .net_name = c->net->name,
                .container_id = (char *) c->container_id,
                .ifname = (char *) c->ifname,
                .netns = (char *) c->netns,
                .config = c->net->data,
                .args = args,
                .cap_args = (char *) json_text(c->cap_args),
                .result = (char *) result,
        };
        return cni_cache_write(c->o->cache_dir, &e, err);
}

int cni_add(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
            struct cni_result **ret, struct cric_error **err) {
        if (check_attachment(a, err) < 0)
                return -1;
        if (!a->netns || !*a->netns)
                return cric_error_set(err, CRIC_E_INVALID, "network \"%s\": ADD without a netns", net->name);
        AUTOFREE char *cni_args = cni_args_string(a->args);
        AUTOJSON struct json_object *caps = cap_args_json(a);
        struct call c = {.net = net,
                         .o = o,
                         .verb = "ADD",
                         .container_id = a->container_id,
                         .netns = a->netns,
                         .ifname = ifname_of(a),
                         .cni_args = cni_args,
                         .cap_args = caps,
                         .fail_kind = CRIC_E_INTERNAL};
        AUTOFREE char *prev = NULL;
        CLEANUP(result_freep) struct cni_result *result = NULL;
        for (size_t i = 0; i < net->n_plugins; i++) {
                c.verb = "ADD";
                c.prev_result = i > 0 && net->version >= CNI_V030 ? prev : NULL;
                AUTOFREE char *out = NULL;
                result = result_drop(result);
                struct cric_error *e = NULL;
                if (run_plugin(&c, i, &out, &e) < 0 || check_add_output(&c, i, out, &result, &e) < 0) {
                        /* A plugin that never ran has nothing to undo. */
                        if (e->kind != CRIC_E_NOT_FOUND)
                                rollback(&c, i, prev);
                        else if (i > 0)
                                rollback(&c, i - 1, prev);
                        return cric_error_move(err, &e);
                }
                free(prev);
                prev = STEAL_PTR(out);
        }
        if (cache_add(&c, a, prev, err) < 0) {
                rollback(&c, net->n_plugins - 1, prev);
                return cric_error_prefix(err, "network \"%s\": ADD", net->name);
        }
        *ret = STEAL_PTR(result);
        return 0;
}

/* The netns to name in DEL: the caller's, else the cached one, and only while it
 * exists (plugins clean up what they can without one). */
static const char *del_netns(const char *given, const char *cached) {
        const char *p = given && *given ? given : cached;
        return p && *p && access(p, F_OK) == 0 ? p : "";
}

static struct json_object *parse_cached_caps(const struct cni_cache_entry *e) {
        struct json_object *caps = NULL;
        CLEANUP(cric_error_freep) struct cric_error *ignored = NULL;
        if (e->cap_args && json_parse_object(e->cap_args, strlen(e->cap_args), NULL, &caps, &ignored) < 0)
                return NULL;
        return caps;
}

/* DEL of one cached attachment with the config, args and result ADD used; then the
 * entry goes. */
static int del_cached(const struct cni_cache_entry *e, const char *netns, const struct cni_exec_opts *o,
                      struct cric_error **err) {
        struct cni_net *net = NULL;
        if (cni_net_parse(e->config, strlen(e->config), e->file, &net, err) < 0)
                return cric_error_prefix(err, "network \"%s\": DEL of %s: cached config", e->net_name, e->container_id);
        AUTOJSON struct json_object *caps = parse_cached_caps(e);
        AUTOFREE char *cni_args = cni_args_string((const char *const *) e->args);
        struct call c = {.net = net,
                         .o = o,
                         .container_id = e->container_id,
                         .netns = del_netns(netns, e->netns),
                         .ifname = e->ifname,
                         .cni_args = cni_args,
                         .cap_args = caps,
                         .prev_result = e->result,
                         .fail_kind = CRIC_E_INTERNAL};
        int r = del_plugins(&c, net->n_plugins - 1, err);
        cni_net_unref(net);
        if (r == 0)
                r = cni_cache_remove(o->cache_dir, e, err);
        return r;
}

int cni_del(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
            struct cric_error **err) {
        if (check_attachment(a, err) < 0)
                return -1;
        struct cni_cache_entry **v = NULL;
        size_t n = 0;
        /* Every cached attachment of the container, whatever network it was made on:
         * the default network may have changed since the ADD. */
        if (cni_cache_list(o->cache_dir, NULL, a->container_id, ifname_of(a), &v, &n, err) < 0)
                return -1;
        int r = 0;
        struct cric_error *e = NULL;
        if (n == 0 && net) {
                /* Never added, or added before a cache existed: DEL with what we have. */
                AUTOFREE char *cni_args = cni_args_string(a->args);
                AUTOJSON struct json_object *caps = cap_args_json(a);
                struct call c = {.net = net,
                                 .o = o,
                                 .container_id = a->container_id,
                                 .netns = del_netns(a->netns, NULL),
                                 .ifname = ifname_of(a),
                                 .cni_args = cni_args,
                                 .cap_args = caps,
                                 .fail_kind = CRIC_E_INTERNAL};
                del_plugins(&c, net->n_plugins - 1, &e);
                keep_first(&r, err, &e);
        }
        for (size_t i = 0; i < n; i++) {
                del_cached(v[i], a->netns, o, &e);
                keep_first(&r, err, &e);
        }
        cni_cache_list_free(v, n);
        return r;
}

int cni_check(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
              struct cric_error **err) {
        if (check_attachment(a, err) < 0)
                return -1;
        if (net->version < CNI_V040 || net->disable_check)
                return 0;
        struct cni_cache_entry **v = NULL;
        size_t n = 0;
        if (cni_cache_list(o->cache_dir, net->name, a->container_id, ifname_of(a), &v, &n, err) < 0)
                return -1;
        if (n == 0) {
                free(v);
                return cric_error_set(err, CRIC_E_NOT_FOUND, "network \"%s\": CHECK of %s: no cached ADD result",
                                      net->name, a->container_id);
        }
        const struct cni_cache_entry *e = v[0];
        AUTOJSON struct json_object *caps = parse_cached_caps(e);
        AUTOFREE char *cni_args = cni_args_string((const char *const *) e->args);
        struct call c = {.net = net,
                         .o = o,
                         .verb = "CHECK",
                         .container_id = e->container_id,
                         .netns = a->netns && *a->netns ? a->netns : e->netns,
                         .ifname = e->ifname,
                         .cni_args = cni_args,
                         .cap_args = caps,
                         .prev_result = e->result,
                         .fail_kind = CRIC_E_INTERNAL};
        int r = 0;
        for (size_t i = 0; i < net->n_plugins && r == 0; i++)
                r = run_plugin(&c, i, NULL, err);
        cni_cache_list_free(v, n);
        return r;
}

int cni_status(const struct cni_net *net, const struct cni_exec_opts *o, struct cric_error **err) {
        if (net->version < CNI_V110)
                return 0;
        struct call c = {.net = net, .o = o, .verb = "STATUS", .fail_kind = CRIC_E_UNAVAILABLE};
        for (size_t i = 0; i < net->n_plugins; i++)
                if (run_plugin(&c, i, NULL, err) < 0)
                        return -1;
        return 0;
}

static void add_attachment(struct json_object *list, char ***seen, const char *id, const char *ifname) {
        AUTOFREE char *key = xasprintf("%s/%s", id, ifname);
        if (strv_contains(*seen, key))
                return;
        strv_push(seen, key);
        struct json_object *o = jx_object();
        jx_add(o, "containerID", jx_string(id));
        jx_add(o, "ifname", jx_string(ifname));
        jx_append(list, o);
}

int cni_gc(const struct cni_net *net, char *const *valid_container_ids, const struct cni_exec_opts *o,
           struct cric_error **err) {
        if (net->disable_gc)
                return 0;
        struct cni_cache_entry **v = NULL;
        size_t n = 0;
        if (cni_cache_list(o->cache_dir, net->name, NULL, NULL, &v, &n, err) < 0)
                return -1;
        AUTOJSON struct json_object *valid = jx_array();
        CLEANUP(strv_freep) char **seen = NULL;
        int r = 0;
        struct cric_error *e = NULL;
        for (size_t i = 0; i < n; i++) {
                if (strv_contains(valid_container_ids, v[i]->container_id)) {
                        add_attachment(valid, &seen, v[i]->container_id, v[i]->ifname);
                        continue;
                }
                del_cached(v[i], NULL, o, &e);
                keep_first(&r, err, &e);
        }
        cni_cache_list_free(v, n);
        if (net->version < CNI_V110)
                return r;
        for (size_t i = 0; valid_container_ids && valid_container_ids[i]; i++)
                add_attachment(valid, &seen, valid_container_ids[i], DEFAULT_IFNAME);
        struct call c = {.net = net, .o = o, .verb = "GC", .valid_attachments = valid, .fail_kind = CRIC_E_INTERNAL};
        for (size_t i = 0; i < net->n_plugins; i++) {
                run_plugin(&c, i, NULL, &e);
                keep_first(&r, err, &e);
        }
        return r;
}
