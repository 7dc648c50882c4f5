/* Container commands: create, start, run, ps, inspect, stop, rm, exec, logs, update.
 *
 * (logs is in cmd_logs.c.) Each mirrors crictl's command of the same name: flags, table layout, JSON shape and
 * messages. JSON of CRI messages uses protojson's shape, 64-bit integers as strings.
 * The container id a user names may be a unique prefix: the runtime resolves it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))
#define CTR_JSON        (CLI_JSON_CRICTL | CLI_JSON_INT64_STRINGS)

#define POD_NAME_LABEL      "io.kubernetes.pod.name"      /* the kubelet's, shown by ps */
#define POD_NAMESPACE_LABEL "io.kubernetes.pod.namespace" /* same */

#define OUTPUTS_ALL                                                                                                    \
        (CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML))

typedef Runtime__V1__Container Container;

/* ---- shared helpers ---- */

/* crictl's convertContainerState. */
static const char *container_state_name(Runtime__V1__ContainerState s) {
        switch (s) {
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED: return "Created";
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING: return "Running";
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED: return "Exited";
        default: return "Unknown";
        }
}

/* crictl's runtime client gives calls that wait for something (stop, exec) their own
 * time on top of the connection's timeout; no global timeout means no deadline. */
static int64_t deadline_plus(const struct cli *cli, int64_t seconds) {
        return cli->timeout_ms > 0 ? cli->timeout_ms + seconds * 1000 : 0;
}

/* Creating things gets twice the timeout, as runp does. */
static int64_t deadline_create(const struct cli *cli) {
        return cli->timeout_ms > 0 ? 2 * cli->timeout_ms : 0;
}

int cli_container_status(struct cli *cli, const char *id, bool is_verbose, ProtobufCMessage **ret,
                         struct cric_error **err) {
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        Runtime__V1__ContainerStatusRequest req = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
        req.container_id = (char *) id;
        req.verbose = is_verbose;
        return cli_call(cli, RUNTIME_SERVICE "ContainerStatus", &req.base,
                        &runtime__v1__container_status_response__descriptor, ret, err);
}

static int start_container(struct cli *cli, const char *id, struct cric_error **err) {
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        Runtime__V1__StartContainerRequest req = RUNTIME__V1__START_CONTAINER_REQUEST__INIT;
        req.container_id = (char *) id;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, RUNTIME_SERVICE "StartContainer", &req.base,
                             &runtime__v1__start_container_response__descriptor, deadline_create(cli), &msg, err) < 0)
                return -1;
        printf("%s\n", id);
        return 0;
}

static int stop_container(struct cli *cli, const char *id, int64_t timeout_s, struct cric_error **err) {
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        log_debug("stopping container: %s (timeout = %lld)", id, (long long) timeout_s);
        Runtime__V1__StopContainerRequest req = RUNTIME__V1__STOP_CONTAINER_REQUEST__INIT;
        req.container_id = (char *) id;
        req.timeout = timeout_s;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, RUNTIME_SERVICE "StopContainer", &req.base,
                             &runtime__v1__stop_container_response__descriptor, deadline_plus(cli, timeout_s), &msg,
                             err) < 0)
                return -1;
        printf("%s\n", id);
        return 0;
}

static int remove_container(struct cli *cli, const char *id, struct cric_error **err) {
        Runtime__V1__RemoveContainerRequest req = RUNTIME__V1__REMOVE_CONTAINER_REQUEST__INIT;
        req.container_id = (char *) id;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "RemoveContainer", &req.base,
                     &runtime__v1__remove_container_response__descriptor, &msg, err) < 0)
                return -1;
        printf("%s\n", id);
        return 0;
}

static const char *label_or_unknown(Runtime__V1__Container__LabelsEntry *const *labels, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (!strcmp(labels[i]->key, key))
                        return labels[i]->value;
        return "unknown";
}

/* ---- create, run ---- */

enum pull_policy {
        PULL_NEVER,
        PULL_IF_MISSING,
        PULL_ALWAYS,
};

struct create_opts {
        const char *creds, *auth, *pull_timeout, *runtime;
        bool is_help, has_no_pull, has_with_pull;
};

/* crictl's loadContainerConfig: the checks, and user_specified_image defaulted. */
static ProtobufCMessage *load_container_config(const char *path, struct cric_error **err) {
        CLEANUP(cli_proto_freep)
        ProtobufCMessage *m = cli_proto_from_json_file(path, &runtime__v1__container_config__descriptor, err);
        if (!m)
                return NULL;
        Runtime__V1__ContainerConfig *c = (Runtime__V1__ContainerConfig *) m;
        if (!c->metadata)
                return cric_error_set(err, CRIC_E_INVALID, "%s: metadata is not set", path), NULL;
        if (!*c->metadata->name)
                return cric_error_set(err, CRIC_E_INVALID, "%s: name is not in metadata", path), NULL;
        if (!c->image)
                return cric_error_set(err, CRIC_E_INVALID, "%s: image is not set", path), NULL;
        if (!*c->image->image)
                return cric_error_set(err, CRIC_E_INVALID, "%s: image field is not set in image", path), NULL;
        if (!*c->image->user_specified_image)
                c->image->user_specified_image = xstrdup(c->image->image);
        return STEAL_PTR(m);
}

/* --no-pull and --with-pull against the command's default. */
static int pull_policy_pick(const struct create_opts *o, enum pull_policy def, enum pull_policy *ret,
                            struct cric_error **err) {
        if (o->has_no_pull && o->has_with_pull)
                return cric_error_set(err, CRIC_E_INVALID, "conflict: no-pull and with-pull are both set");
        *ret = o->has_with_pull ? PULL_ALWAYS : o->has_no_pull ? PULL_NEVER : def;
        return 0;
}

static int pull_for_container(struct cli *cli, const char *image, const ProtobufCMessage *pod_cfg,
                              const struct create_opts *o, enum pull_policy policy, struct cric_error **err) {
        if (policy == PULL_NEVER)
                return 0;
        if (policy == PULL_IF_MISSING) {
                CLEANUP(cli_proto_freep) ProtobufCMessage *st = NULL;
                if (cli_image_status(cli, image, false, &st, err) < 0)
                        return cric_error_prefix(err, "image status for \"%s\"", image);
                if (((const Runtime__V1__ImageStatusResponse *) st)->image)
                        return 0;
        }
        struct cli_pull_opts po = {.creds = o->creds, .auth = o->auth, .sandbox_config = pod_cfg};
        if (cli_pull_deadline(cli, o->pull_timeout, &po.timeout_ms, err) < 0)
                return -1;
        log_info("Pulling container image: %s", image);
        return cli_image_pull(cli, image, &po, NULL, err) < 0 ? cric_error_prefix(err, "pulling image \"%s\"", image)
                                                              : 0;
}

/* crictl's CreateContainer: load both configs, pull per the policy, create. */
static int create_container(struct cli *cli, const char *pod_id, const char *ctr_path, const char *pod_path,
                            const struct create_opts *o, enum pull_policy policy, char **ret_id,
                            struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *cfg = load_container_config(ctr_path, err);
        if (!cfg)
                return -1;
        CLEANUP(cli_proto_freep) ProtobufCMessage *pod_cfg = NULL;
        if (pod_path && *pod_path && !(pod_cfg = cli_pod_config_load(pod_path, err)))
                return -1;
        Runtime__V1__CreateContainerRequest req = RUNTIME__V1__CREATE_CONTAINER_REQUEST__INIT;
        req.pod_sandbox_id = (char *) pod_id;
        req.config = (Runtime__V1__ContainerConfig *) cfg;
        req.sandbox_config = (Runtime__V1__PodSandboxConfig *) pod_cfg;
        if (pull_for_container(cli, req.config->image->image, pod_cfg, o, policy, err) < 0)
                return -1;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, RUNTIME_SERVICE "CreateContainer", &req.base,
                             &runtime__v1__create_container_response__descriptor, deadline_create(cli), &msg, err) < 0)
                return -1;
        *ret_id = xstrdup(((const Runtime__V1__CreateContainerResponse *) msg)->container_id);
        return 0;
}

#define N_PULL_FLAGS 5

static void pull_flags(struct create_opts *o, struct cli_flag ret[N_PULL_FLAGS]) {
        const struct cli_flag flags[N_PULL_FLAGS] = {
                {"no-pull", 0, CLI_FLAG_BOOL, &o->has_no_pull, NULL, "Do not pull the image"},
                {"with-pull", 0, CLI_FLAG_BOOL, &o->has_with_pull, NULL, "Pull the image first"},
                {"creds", 0, CLI_FLAG_STRING, &o->creds, "USERNAME[:PASSWORD]",
                 "Use USERNAME[:PASSWORD] for accessing the registry"},
                {"auth", 0, CLI_FLAG_STRING, &o->auth, "AUTH_STRING",
                 "Use AUTH_STRING (base64 of 'USERNAME[:PASSWORD]') for accessing the registry"},
                {"pull-timeout", 0, CLI_FLAG_STRING, &o->pull_timeout, "DURATION",
                 "Maximum time to be used for pulling the image, disabled if set to 0s"},
        };
        memcpy(ret, flags, sizeof(flags));
}

int cmd_create(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "POD container-config.json pod-config.json";
        struct create_opts o = {0};
        struct cli_flag flags[1 + N_PULL_FLAGS] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
        };
        pull_flags(&o, flags + 1);
        int nargs;
        int r = cli_command_parse("create", usage, flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs != 3) { /* crictl shows the command's help */
                cli_command_usage(stdout, "create", usage, flags, N_FLAGS(flags));
                return 0;
        }
        /* crictl's default config (pull-image-on-create = false): no pull unless asked. */
        enum pull_policy policy = PULL_NEVER;
        AUTOFREE char *id = NULL;
        if (pull_policy_pick(&o, PULL_NEVER, &policy, err) < 0 ||
            create_container(cli, argv[1], argv[2], argv[3], &o, policy, &id, err) < 0)
                return cric_error_prefix(err, "creating container");
        printf("%s\n", id);
        return 0;
}

/* crictl's RunContainer: runp, create, start; start prints the container id. What is
 * made before a failure stays, as with crictl. */
static int run_container(struct cli *cli, const char *ctr_path, const char *pod_path, const struct create_opts *o,
                         struct cric_error **err) {
        /* crictl's default config (disable-pull-on-run = false) pulls on every run;
         * an image already there is used as is, which saves the registry round trip. */
        enum pull_policy policy = PULL_IF_MISSING;
        if (pull_policy_pick(o, PULL_IF_MISSING, &policy, err) < 0)
                return -1;
        AUTOFREE char *pod_id = NULL, *ctr_id = NULL;
        if (cli_pod_run(cli, pod_path, o->runtime, &pod_id, err) < 0)
                return -1;
        if (create_container(cli, pod_id, ctr_path, pod_path, o, policy, &ctr_id, err) < 0)
                return cric_error_prefix(err, "creating container failed");
        if (start_container(cli, ctr_id, err) < 0)
                return cric_error_prefix(err, "starting the container \"%s\"", ctr_id);
        return 0;
}

int cmd_run(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "container-config.json pod-config.json";
        struct create_opts o = {0};
        struct cli_flag flags[2 + N_PULL_FLAGS] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"runtime", 'r', CLI_FLAG_STRING, &o.runtime, "RUNTIME",
                 "Runtime handler to use. Available options are defined by the container runtime."},
        };
        pull_flags(&o, flags + 2);
        int nargs;
        int r = cli_command_parse("run", usage, flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs != 2) { /* crictl shows the command's help */
                cli_command_usage(stdout, "run", usage, flags, N_FLAGS(flags));
                return 0;
        }
        return run_container(cli, argv[1], argv[2], &o, err) < 0 ? cric_error_prefix(err, "running container") : 0;
}

/* ---- start ---- */

int cmd_start(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
        };
        int nargs;
        int r = cli_command_parse("start", "CONTAINER-ID [CONTAINER-ID...]", flags, N_FLAGS(flags), &is_help, argc,
                                  argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        size_t n_failed = 0;
        for (int i = 1; i <= nargs; i++) {
                struct cric_error *e = NULL;
                if (start_container(cli, argv[i], &e) < 0) {
                        cric_error_prefix(&e, "starting the container \"%s\"", argv[i]);
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- ps (and the filters inspect, stop --all and rm --all share) ---- */

struct ps_opts {
        const char *id, *pod, *state, *image, *output;
        struct cli_name_filter names;
        struct cli_string_list labels;
        int64_t last;
        bool is_help, is_all, is_quiet, is_latest, is_no_trunc, is_verbose, is_resolve;
};

static void ps_opts_clear(struct ps_opts *o) {
        free(o->labels.items);
        cli_name_filter_clear(&o->names);
}

static int ps_check_opts(struct ps_opts *o, struct cric_error **err) {
        return cli_name_filter_compile(&o->names, err);
}

/* crictl's ListContainers filter: running only unless --all or --state; --latest and
 * --last look at every state. The caller frees the label entries. */
static int ps_filter(const struct ps_opts *o, Runtime__V1__ContainerFilter *f, Runtime__V1__ContainerStateValue *st,
                     struct cric_error **err) {
        f->id = (char *) (o->id ? o->id : "");
        f->pod_sandbox_id = (char *) (o->pod ? o->pod : "");
        if (!o->is_all && (!o->state || !*o->state)) {
                st->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
                f->state = st;
        }
        if (o->state && *o->state) {
                static const char *const names[] = {"created", "running", "exited", "unknown"};
                static const Runtime__V1__ContainerState states[] = {
                        RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED,
                        RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING,
                        RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED,
                        RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN,
                };
                size_t i = 0;
                while (i < N_FLAGS(names) && strcasecmp(o->state, names[i]))
                        i++;
                if (i == N_FLAGS(names))
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "--state should be one of created, running, exited or unknown");
                st->state = states[i];
                f->state = st;
        }
        if (o->is_latest || o->last > 0)
                f->state = NULL;
        return cli_labels_to_entries(&o->labels, &runtime__v1__container_filter__label_selector_entry__descriptor,
                                     (ProtobufCMessage ***) &f->label_selector, &f->n_label_selector, err);
}

/* The image id ImageStatus gives for image, or NULL (not there). */
static int image_id_of(struct cli *cli, const char *image, char **ret, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *st = NULL;
        if (cli_image_status(cli, image, false, &st, err) < 0)
                return -1;
        const Runtime__V1__Image *img = ((const Runtime__V1__ImageStatusResponse *) st)->image;
        *ret = img ? xstrdup(img->id) : NULL;
        return 0;
}

/* crictl's matchesImage: both resolve to the same image id (a missing one matches nothing). */
static int image_matches(struct cli *cli, const char *want_id, const Container *c, bool *ret, struct cric_error **err) {
        AUTOFREE char *id = NULL;
        if (image_id_of(cli, c->image ? c->image->image : "", &id, err) < 0)
                return -1;
        *ret = want_id && id && !strcmp(want_id, id);
        return 0;
}

/* crictl's getContainersList: image, name and namespace filters, newest first,
 * --latest/--last. Keeps the containers in v (room for n) and returns their count. */
static int ps_select(struct cli *cli, const struct ps_opts *o, Container *const *items, size_t n, Container **v,
                     size_t *ret_n, struct cric_error **err) {
        AUTOFREE char *want_id = NULL;
        if (o->image && *o->image && image_id_of(cli, o->image, &want_id, err) < 0)
                return cric_error_prefix(err, "check image match");
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                const Container *c = items[i];
                bool is_match = true;
                if (o->image && *o->image && image_matches(cli, want_id, c, &is_match, err) < 0)
                        return cric_error_prefix(err, "check image match");
                const char *ns = label_or_unknown(c->labels, c->n_labels, POD_NAMESPACE_LABEL);
                if (!is_match || !c->metadata)
                        continue;
                if (!cli_name_filter_match(&o->names, c->metadata->name, ns))
                        continue;
                v[kept++] = items[i];
        }
        for (size_t i = 1; i < kept; i++) { /* insertion sort: stable */
                Container *x = v[i];
                size_t j = i;
                for (; j > 0 && x->created_at > v[j - 1]->created_at; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
        *ret_n = cli_truncate_count(kept, o->is_latest, o->last);
        return 0;
}

/* ListContainers with the options' filters. *ret_msg owns the containers; *ret_v (the
 * caller frees the array only) lists the ones kept, in order. */
static int ps_list(struct cli *cli, const struct ps_opts *o, ProtobufCMessage **ret_msg, Container ***ret_v,
                   size_t *ret_n, struct cric_error **err) {
        Runtime__V1__ContainerFilter filter = RUNTIME__V1__CONTAINER_FILTER__INIT;
        Runtime__V1__ContainerStateValue state = RUNTIME__V1__CONTAINER_STATE_VALUE__INIT;
        Runtime__V1__ListContainersRequest req = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
        req.filter = &filter;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        int r = ps_filter(o, &filter, &state, err);
        if (r >= 0)
                r = cli_call_list(cli, RUNTIME_SERVICE "ListContainers", RUNTIME_SERVICE "StreamContainers", &req.base,
                                  &runtime__v1__list_containers_response__descriptor, &msg, err);
        cli_entries_free((ProtobufCMessage **) filter.label_selector, filter.n_label_selector);
        if (r < 0)
                return -1;
        const Runtime__V1__ListContainersResponse *resp = (const Runtime__V1__ListContainersResponse *) msg;
        AUTOFREE Container **v = xcalloc(resp->n_containers + 1, sizeof(*v));
        if (ps_select(cli, o, resp->containers, resp->n_containers, v, ret_n, err) < 0)
                return -1;
        *ret_msg = STEAL_PTR(msg);
        *ret_v = STEAL_PTR(v);
        return 0;
}

static void ps_print_verbose(const Container *c) {
        char created[64];
        cli_time_ago(created, sizeof(created), c->created_at);
        printf("ID: %s\n", c->id);
        printf("PodID: %s\n", c->pod_sandbox_id);
        printf("Namespace: %s\n", label_or_unknown(c->labels, c->n_labels, POD_NAMESPACE_LABEL));
        if (c->metadata) {
                if (*c->metadata->name)
                        printf("Name: %s\n", c->metadata->name);
                printf("Attempt: %u\n", c->metadata->attempt);
        }
        printf("State: %s\n", container_state_name(c->state));
        if (c->image)
                printf("Image: %s\n", c->image->image);
        printf("Created: %s\n", created);
        if (c->n_labels)
                cli_print_string_map(stdout, "Labels", (void **) c->labels, c->n_labels);
        if (c->n_annotations)
                cli_print_string_map(stdout, "Annotations", (void **) c->annotations, c->n_annotations);
        printf("\n");
}

/* The IMAGE cell: an image id is cut like other ids, or (-r) shown as its first tag. */
static char *ps_image_cell(struct cli *cli, const struct ps_opts *o, const Container *c, struct cric_error **err) {
        const char *image = c->image ? c->image->image : "";
        if (o->is_resolve) {
                CLEANUP(cli_proto_freep) ProtobufCMessage *st = NULL;
                if (cli_image_status(cli, image, false, &st, err) < 0)
                        return cric_error_prefix(err, "failed to fetch repo image"), NULL;
                const Runtime__V1__Image *img = ((const Runtime__V1__ImageStatusResponse *) st)->image;
                return xstrdup(img && img->n_repo_tags ? img->repo_tags[0] : image);
        }
        char id[CLI_TRUNC_ID_LEN + 1];
        if (!o->is_no_trunc && !strncmp(image, "sha256:", 7) && strlen(image) == 7 + 64) {
                cli_truncated_id(id, image, "sha256:");
                return xstrdup(id);
        }
        return xstrdup(image);
}

static int ps_print_table(struct cli *cli, const struct ps_opts *o, Container *const *v, size_t n,
                          struct cric_error **err) {
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(20, 3); /* crictl's default table */
        if (!o->is_verbose && !o->is_quiet)
                cli_table_add_row(t, "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD",
                                  "NAMESPACE", NULL);
        for (size_t i = 0; i < n; i++) {
                const Container *c = v[i];
                if (o->is_quiet) {
                        printf("%s\n", c->id);
                        continue;
                }
                if (o->is_verbose) {
                        ps_print_verbose(c);
                        continue;
                }
                char id[CLI_TRUNC_ID_LEN + 1], pod_id[CLI_TRUNC_ID_LEN + 1], created[64], attempt[16];
                cli_truncated_id(id, c->id, NULL);
                cli_truncated_id(pod_id, c->pod_sandbox_id, NULL);
                cli_time_ago(created, sizeof(created), c->created_at);
                snprintf(attempt, sizeof(attempt), "%u", c->metadata ? c->metadata->attempt : 0);
                AUTOFREE char *image = ps_image_cell(cli, o, c, err);
                if (!image)
                        return -1;
                cli_table_add_row(t, o->is_no_trunc ? c->id : id, image, created, container_state_name(c->state),
                                  c->metadata ? c->metadata->name : "", attempt,
                                  o->is_no_trunc ? c->pod_sandbox_id : pod_id,
                                  label_or_unknown(c->labels, c->n_labels, POD_NAME_LABEL),
                                  label_or_unknown(c->labels, c->n_labels, POD_NAMESPACE_LABEL), NULL);
        }
        cli_table_print(t, stdout);
        return 0;
}

static int ps_run(struct cli *cli, const struct ps_opts *o, enum cli_output fmt, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        AUTOFREE Container **v = NULL;
        size_t n;
        if (ps_list(cli, o, &msg, &v, &n, err) < 0)
                return cric_error_prefix(err, "listing containers");
        if (fmt == CLI_OUTPUT_TABLE)
                return ps_print_table(cli, o, v, n, err) < 0 ? cric_error_prefix(err, "listing containers") : 0;
        Runtime__V1__ListContainersResponse shown = RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
        shown.containers = v;
        shown.n_containers = n;
        AUTOJSON json_object *doc = cli_proto_to_json(&shown.base, CTR_JSON);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

#define N_FILTER_FLAGS 9

/* The container filters of ps, which inspect takes as well. */
static void filter_flags(struct ps_opts *o, struct cli_flag ret[N_FILTER_FLAGS]) {
        const struct cli_flag flags[N_FILTER_FLAGS] = {
                {"name", 0, CLI_FLAG_STRING, &o->names.name, "NAME",
                 "Filter by container name regular expression pattern"},
                {"namespace", 0, CLI_FLAG_STRING, &o->names.namespace, "NAMESPACE",
                 "Filter by pod namespace regular expression pattern"},
                {"pod", 'p', CLI_FLAG_STRING, &o->pod, "POD", "Filter by pod id"},
                {"image", 0, CLI_FLAG_STRING, &o->image, "IMAGE", "Filter by container image"},
                {"state", 's', CLI_FLAG_STRING, &o->state, "STATE",
                 "Filter by container state: created|running|exited|unknown"},
                {"label", 0, CLI_FLAG_STRING_LIST, &o->labels, "KEY=VALUE", "Filter by key=value label (repeatable)"},
                {"latest", 'l', CLI_FLAG_BOOL, &o->is_latest, NULL,
                 "Show the most recently created container (includes all states)"},
                {"last", 'n', CLI_FLAG_INT64, &o->last, "N",
                 "Show last n recently created containers (includes all states). Set 0 for unlimited."},
                {"all", 'a', CLI_FLAG_BOOL, &o->is_all, NULL, "Show all containers"},
        };
        memcpy(ret, flags, sizeof(flags));
}

int cmd_ps(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct ps_opts o = {0};
        struct cli_flag flags[7 + N_FILTER_FLAGS] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"verbose", 'v', CLI_FLAG_BOOL, &o.is_verbose, NULL, "Show verbose information for containers"},
                {"id", 0, CLI_FLAG_STRING, &o.id, "ID", "Filter by container id"},
                {"quiet", 'q', CLI_FLAG_BOOL, &o.is_quiet, NULL, "Only display container IDs"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"no-trunc", 0, CLI_FLAG_BOOL, &o.is_no_trunc, NULL, "Show output without truncating the ID"},
                {"resolve-image-path", 'r', CLI_FLAG_BOOL, &o.is_resolve, NULL, "Show image path instead of image id"},
        };
        filter_flags(&o, flags + 7);
        int nargs;
        enum cli_output fmt;
        int r = cli_command_parse("ps", NULL, flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r == 0 && nargs > 0)
                r = cric_error_set(err, CRIC_E_INVALID, "ps: unexpected argument \"%s\" (see 'cricctl ps --help')",
                                   argv[1]);
        if (r == 0 && cli_output_pick(cli, o.output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "ps");
        if (r == 0 && ps_check_opts(&o, err) < 0)
                r = cric_error_prefix(err, "ps");
        if (r == 0)
                r = ps_run(cli, &o, fmt, err);
        ps_opts_clear(&o);
        return r < 0 ? -1 : 0;
}

/* ---- inspect ---- */

/* Go's time.Time.Format(time.RFC3339Nano) of time.Unix(0, ns) in local time; the zero
 * time.Time when ns is unset. */
static void rfc3339_nano(char *buf, size_t size, int64_t ns, bool is_set) {
        if (!is_set) {
                snprintf(buf, size, "0001-01-01T00:00:00Z");
                return;
        }
        time_t secs = (time_t) (ns / 1000000000);
        long frac = (long) (ns % 1000000000);
        if (frac < 0) {
                secs--;
                frac += 1000000000;
        }
        struct tm tm;
        localtime_r(&secs, &tm);
        char date[32], nanos[16] = "", zone[32] = "Z";
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        if (frac) {
                snprintf(nanos, sizeof(nanos), ".%09ld", frac);
                for (size_t len = strlen(nanos); nanos[len - 1] == '0'; len--)
                        nanos[len - 1] = '\0';
        }
        if (tm.tm_gmtoff) {
                long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
                snprintf(zone, sizeof(zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600, off / 60 % 60);
        }
        snprintf(buf, size, "%s%s%s", date, nanos, zone);
}

/* crictl's marshalContainerStatus: protojson with the three times as RFC 3339 text;
 * startedAt is set once the container left "created", finishedAt once it exited. */
static json_object *container_status_to_json(const Runtime__V1__ContainerStatus *s) {
        json_object *o = cli_proto_to_json(&s->base, CTR_JSON);
        bool is_started = s->state != RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        bool is_finished = s->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED ||
                           (s->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN && s->finished_at > 0);
        char t[64];
        rfc3339_nano(t, sizeof(t), s->created_at, true);
        jx_add(o, "createdAt", jx_string(t));
        rfc3339_nano(t, sizeof(t), s->started_at, is_started);
        jx_add(o, "startedAt", jx_string(t));
        rfc3339_nano(t, sizeof(t), s->finished_at, is_finished);
        jx_add(o, "finishedAt", jx_string(t));
        return o;
}

/* crictl's outputStatusInfo: {"status": ..., <each info key>: <value>}, keys sorted. */
static json_object *inspect_json(const Runtime__V1__ContainerStatusResponse *r) {
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "status", container_status_to_json(r->status));
        for (size_t i = 0; i < r->n_info; i++)
                jx_add(o, r->info[i]->key, cli_info_value(r->info[i]->value));
        return cli_json_sorted(o);
}

/* crictl's outputContainerStatusTable. */
static void inspect_print_table(Runtime__V1__ContainerStatusResponse *r, bool is_verbose) {
        const Runtime__V1__ContainerStatus *s = r->status;
        char ago[64];
        printf("ID: %s\n", s->id);
        if (s->metadata && *s->metadata->name)
                printf("Name: %s\n", s->metadata->name);
        if (s->metadata && s->metadata->attempt)
                printf("Attempt: %u\n", s->metadata->attempt);
        const ProtobufCEnumValue *state =
                protobuf_c_enum_descriptor_get_value(&runtime__v1__container_state__descriptor, s->state);
        printf("State: %s\n", state ? state->name : "CONTAINER_UNKNOWN");
        cli_time_ago(ago, sizeof(ago), s->created_at);
        printf("Created: %s\n", ago);
        if (s->state != RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED) {
                cli_time_ago(ago, sizeof(ago), s->started_at);
                printf("Started: %s\n", ago);
        }
        if (s->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED) {
                if (s->finished_at > 0) {
                        cli_time_ago(ago, sizeof(ago), s->finished_at);
                        printf("Finished: %s\n", ago);
                }
                printf("Exit Code: %d\n", s->exit_code);
        }
        if (s->n_labels)
                cli_print_string_map(stdout, "Labels", (void **) s->labels, s->n_labels);
        if (s->n_annotations)
                cli_print_string_map(stdout, "Annotations", (void **) s->annotations, s->n_annotations);
        if (is_verbose)
                cli_print_info_line(stdout, (void **) r->info, r->n_info);
}

static int inspect_one(struct cli *cli, const char *id, bool is_verbose, enum cli_output fmt, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_container_status(cli, id, is_verbose, &msg, err) < 0)
                return cric_error_prefix(err, "getting the container status for \"%s\"", id);
        Runtime__V1__ContainerStatusResponse *r = (Runtime__V1__ContainerStatusResponse *) msg;
        if (!r->status)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "container \"%s\": no status", id);
        if (fmt == CLI_OUTPUT_TABLE) {
                inspect_print_table(r, is_verbose);
                return 0;
        }
        AUTOJSON json_object *doc = inspect_json(r);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

int cmd_inspect(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "CONTAINER-ID [CONTAINER-ID...]";
        struct ps_opts o = {0};
        struct cli_flag flags[3 + N_FILTER_FLAGS] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"quiet", 'q', CLI_FLAG_BOOL, &o.is_quiet, NULL, "Do not show verbose information"},
        };
        filter_flags(&o, flags + 3);
        int nargs;
        enum cli_output fmt;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        AUTOFREE Container **v = NULL;
        size_t n = 0;
        int r = cli_command_parse("inspect", usage, flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r == 0 && cli_output_pick(cli, o.output, CLI_OUTPUT_JSON, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "inspect");
        if (r == 0 && nargs == 0 && ps_check_opts(&o, err) < 0)
                r = cric_error_prefix(err, "inspect");
        /* No ids: the containers the filter flags select, as crictl does. */
        if (r == 0 && nargs == 0 && ps_list(cli, &o, &msg, &v, &n, err) < 0)
                r = cric_error_prefix(err, "listing containers");
        if (r == 0 && nargs == 0 && n == 0) {
                log_error("No IDs provided or nothing found per filter");
                cli_command_usage(stdout, "inspect", usage, flags, N_FLAGS(flags));
                r = 1;
        }
        size_t n_failed = 0;
        for (size_t i = 0; r == 0 && i < (nargs ? (size_t) nargs : n); i++) {
                struct cric_error *e = NULL;
                if (inspect_one(cli, nargs ? argv[i + 1] : v[i]->id, !o.is_quiet, fmt, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        ps_opts_clear(&o);
        return r < 0 || n_failed ? -1 : 0;
}

/* ---- stop ---- */

int cmd_stop(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        int64_t timeout_s = 0;
        bool is_help = false, is_all = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"timeout", 't', CLI_FLAG_INT64, &timeout_s, "SECONDS",
                 "Seconds to wait to kill the container after a graceful stop is requested"},
                {"all", 'a', CLI_FLAG_BOOL, &is_all, NULL, "Stop all running containers"},
        };
        int nargs;
        int r = cli_command_parse("stop", "CONTAINER-ID [CONTAINER-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv,
                                  &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (is_all && nargs > 0)
                return cric_error_set(err, CRIC_E_INVALID, "cannot specify CONTAINER-ID(s) when using --all");
        if (!is_all && nargs == 0)
                return cric_error_set(err, CRIC_E_INVALID, "you must specify at least one CONTAINER-ID or use --all");
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        AUTOFREE Container **v = NULL;
        size_t n = (size_t) nargs;
        if (is_all) {
                struct ps_opts o = {.state = "running"};
                if (ps_list(cli, &o, &msg, &v, &n, err) < 0)
                        return cric_error_prefix(err, "listing containers");
                if (n == 0) {
                        printf("No running containers found.\n");
                        return 0;
                }
        }
        size_t n_failed = 0;
        for (size_t i = 0; i < n; i++) {
                const char *id = is_all ? v[i]->id : argv[i + 1];
                struct cric_error *e = NULL;
                if (stop_container(cli, id, timeout_s, &e) < 0) {
                        cric_error_prefix(&e, "stopping the container \"%s\"", id);
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- rm ---- */

/* crictl removes the log file and its rotations (path.*) after the container. */
static void remove_logs(const char *id, const char *log_path) {
        if (!*log_path)
                return;
        AUTOFREE char *pattern = xasprintf("%s.*", log_path);
        glob_t g = {0};
        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                g.gl_pathc = 0;
        for (size_t i = 0; i <= g.gl_pathc; i++) {
                const char *file = i < g.gl_pathc ? g.gl_pathv[i] : log_path;
                if (unlink(file) < 0 && errno != ENOENT)
                        log_error("removing log file %s for container \"%s\" failed: %s", file, id, strerror(errno));
        }
        globfree(&g);
}

static int rm_one(struct cli *cli, const char *id, bool is_force, bool has_keep_logs, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_container_status(cli, id, false, &msg, err) < 0)
                return cric_error_prefix(err, "getting container status \"%s\"", id);
        const Runtime__V1__ContainerStatus *s = ((const Runtime__V1__ContainerStatusResponse *) msg)->status;
        if (s && s->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING) {
                if (!is_force)
                        return cric_error_set(err, CRIC_E_PRECONDITION,
                                              "container \"%s\" is running, please stop it first", id);
                if (stop_container(cli, id, 0, err) < 0)
                        return cric_error_prefix(err, "stopping the container \"%s\"", id);
        }
        if (remove_container(cli, id, err) < 0)
                return cric_error_prefix(err, "removing container \"%s\"", id);
        if (!has_keep_logs && s)
                remove_logs(id, s->log_path);
        return 0;
}

int cmd_rm(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "CONTAINER-ID [CONTAINER-ID...]";
        bool is_help = false, is_all = false, is_force = false, has_keep_logs = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"force", 'f', CLI_FLAG_BOOL, &is_force, NULL,
                 "Force removal of the container, disregarding if running"},
                {"keep-logs", 'k', CLI_FLAG_BOOL, &has_keep_logs, NULL,
                 "Preserve the container log file and its rotations"},
                {"all", 'a', CLI_FLAG_BOOL, &is_all, NULL, "Remove all containers"},
        };
        int nargs;
        int r = cli_command_parse("rm", usage, flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (!is_all && nargs == 0) { /* crictl shows the command's help */
                cli_command_usage(stdout, "rm", usage, flags, N_FLAGS(flags));
                return 0;
        }
        /* --all replaces the ids given, as in crictl. */
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        AUTOFREE Container **v = NULL;
        size_t n = (size_t) nargs;
        if (is_all) {
                struct ps_opts o = {.is_all = true};
                if (ps_list(cli, &o, &msg, &v, &n, err) < 0)
                        return cric_error_prefix(err, "listing containers");
                if (n == 0)
                        log_info("No containers to remove");
        }
        size_t n_failed = 0;
        for (size_t i = 0; i < n; i++) {
                struct cric_error *e = NULL;
                if (rm_one(cli, is_all ? v[i]->id : argv[i + 1], is_force, has_keep_logs, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- exec ---- */

static int exec_sync(struct cli *cli, const char *id, char **cmd, size_t n_cmd, int64_t timeout_s,
                     struct cric_error **err) {
        Runtime__V1__ExecSyncRequest req = RUNTIME__V1__EXEC_SYNC_REQUEST__INIT;
        req.container_id = (char *) id;
        req.cmd = cmd;
        req.n_cmd = n_cmd;
        req.timeout = timeout_s;
        /* No --timeout: the command may run as long as it likes, as with the kubelet. */
        int64_t deadline_ms = timeout_s > 0 ? deadline_plus(cli, timeout_s) : 0;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, RUNTIME_SERVICE "ExecSync", &req.base, &runtime__v1__exec_sync_response__descriptor,
                             deadline_ms, &msg, err) < 0)
                return -1;
        const Runtime__V1__ExecSyncResponse *r = (const Runtime__V1__ExecSyncResponse *) msg;
        if (r->stdout.len)
                fwrite(r->stdout.data, 1, r->stdout.len, stdout);
        fflush(stdout);
        if (r->stderr.len)
                fwrite(r->stderr.data, 1, r->stderr.len, stderr);
        cli->exit_code = r->exit_code;
        return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "CONTAINER-ID COMMAND [ARG...]";
        int64_t timeout_s = 0;
        bool is_help = false, is_sync = false, is_tty = false, is_interactive = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"sync", 's', CLI_FLAG_BOOL, &is_sync, NULL,
                 "Run the command synchronously (ExecSync: output when it has ended, no stdin, no terminal)"},
                {"timeout", 0, CLI_FLAG_INT64, &timeout_s, "SECONDS",
                 "Timeout in seconds (streaming: the session is closed then, which kills the command)"},
                {"tty", 't', CLI_FLAG_BOOL, &is_tty, NULL, "Allocate a pseudo-TTY"},
                {"interactive", 'i', CLI_FLAG_BOOL, &is_interactive, NULL, "Keep STDIN open"},
        };
        /* Flags end at the container id: what follows is the command and its own flags. */
        int nargs;
        if (cli_flags_parse(flags, N_FLAGS(flags), argc - 1, argv + 1, true, &nargs, err) < 0)
                return cric_error_prefix(err, "exec");
        if (is_help || nargs < 2) { /* crictl shows the command's help */
                cli_command_usage(stdout, "exec", usage, flags, N_FLAGS(flags));
                return 0;
        }
        if (timeout_s < 0)
                return cric_error_set(err, CRIC_E_INVALID, "exec: --timeout must not be negative");
        if (is_sync) { /* crictl ignores -i and -t then */
                if (exec_sync(cli, argv[1], argv + 2, (size_t) nargs - 1, timeout_s, err) < 0)
                        return cric_error_prefix(err, "execing command in container %s synchronously", argv[1]);
                return 0;
        }
        if (cli_exec_stream(cli, argv[1], argv + 2, (size_t) nargs - 1, is_interactive, is_tty, timeout_s, err) < 0)
                return cric_error_prefix(err, "execing command in container %s", argv[1]);
        return 0;
}

/* ---- update ---- */

/* go-units' RAMInBytes: "512", "64m", "1.5GiB", "2 g"; binary units. */
static int parse_memory(const char *s, int64_t *ret, struct cric_error **err) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || v < 0 || !(s[0] >= '0' && s[0] <= '9'))
                goto bad;
        if (*end == ' ')
                end++;
        static const char units[] = "kmgtp";
        double mult = 1;
        const char *u = *end ? strchr(units, (char) tolower((unsigned char) *end)) : NULL;
        if (u) {
                for (const char *p = units; p <= u; p++)
                        mult *= 1024;
                end++;
                if (*end == 'i' || *end == 'I')
                        end++;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end || v * mult > 9.2e18)
                goto bad;
        *ret = (int64_t) (v * mult);
        return 0;
bad:
        return cric_error_set(err, CRIC_E_INVALID, "invalid size: '%s'", s);
}

struct update_opts {
        int64_t cpu_period, cpu_quota, cpu_shares, oom_score_adj;
        const char *cpuset_cpus, *cpuset_mems, *memory;
        bool is_help;
};

static int update_one(struct cli *cli, const char *id, const Runtime__V1__LinuxContainerResources *res,
                      struct cric_error **err) {
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        Runtime__V1__UpdateContainerResourcesRequest req = RUNTIME__V1__UPDATE_CONTAINER_RESOURCES_REQUEST__INIT;
        req.container_id = (char *) id;
        req.linux = (Runtime__V1__LinuxContainerResources *) res;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "UpdateContainerResources", &req.base,
                     &runtime__v1__update_container_resources_response__descriptor, &msg, err) < 0)
                return -1;
        printf("%s\n", id);
        return 0;
}

int cmd_update(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct update_opts o = {0};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"cpu-period", 0, CLI_FLAG_INT64, &o.cpu_period, "USECS",
                 "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"},
                {"cpu-quota", 0, CLI_FLAG_INT64, &o.cpu_quota, "USECS",
                 "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
                {"cpu-share", 0, CLI_FLAG_INT64, &o.cpu_shares, "SHARES",
                 "CPU shares (relative weight vs. other containers)"},
                {"cpuset-cpus", 0, CLI_FLAG_STRING, &o.cpuset_cpus, "CPUS", "CPU(s) to use"},
                {"cpuset-mems", 0, CLI_FLAG_STRING, &o.cpuset_mems, "MEMS", "Memory node(s) to use"},
                {"memory", 0, CLI_FLAG_STRING, &o.memory, "BYTES", "Memory limit (in bytes; k, m, g suffixes)"},
                {"oom-score-adj", 0, CLI_FLAG_INT64, &o.oom_score_adj, "SCORE", "OOM Killer score to use"},
        };
        int nargs;
        int r = cli_command_parse("update", "CONTAINER-ID [CONTAINER-ID...]", flags, N_FLAGS(flags), &o.is_help, argc,
                                  argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        Runtime__V1__LinuxContainerResources res = RUNTIME__V1__LINUX_CONTAINER_RESOURCES__INIT;
        res.cpu_period = o.cpu_period;
        res.cpu_quota = o.cpu_quota;
        res.cpu_shares = o.cpu_shares;
        res.oom_score_adj = o.oom_score_adj;
        res.cpuset_cpus = (char *) (o.cpuset_cpus ? o.cpuset_cpus : "");
        res.cpuset_mems = (char *) (o.cpuset_mems ? o.cpuset_mems : "");
        if (o.memory && *o.memory && parse_memory(o.memory, &res.memory_limit_in_bytes, err) < 0)
                return cric_error_prefix(err, "update: --memory");
        size_t n_failed = 0;
        for (int i = 1; i <= nargs; i++) {
                struct cric_error *e = NULL;
                if (update_one(cli, argv[i], &res, &e) < 0) {
                        cric_error_prefix(&e, "updating container resources for \"%s\"", argv[i]);
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}
