/* Image commands: pull, images, inspecti, rmi, imagefsinfo.
 *
 * Each mirrors crictl's command of the same name: flags, table layout, JSON shape and
 * messages, so scripts written against crictl read our output. JSON of CRI messages
 * uses protojson's shape, 64-bit integers as strings included ("size": "1234"). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define IMAGE_SERVICE   "/runtime.v1.ImageService/"
#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))
#define IMAGE_JSON      (CLI_JSON_CRICTL | CLI_JSON_INT64_STRINGS)
#define JSON_FILE_MAX   (1024 * 1024) /* a pod or container config */

#define PROGRESS_PERIOD_MS       250
#define PROGRESS_POLL_TIMEOUT_MS 500

#define OUTPUTS_ALL                                                                                                    \
        (CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML))

/* ---- shared helpers ---- */

static const char *env_nonempty(const char *name) {
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

/* crictl's getTruncatedID for image ids and digests: "sha256:" dropped. */
static void truncated_id(char buf[CLI_TRUNC_ID_LEN + 1], const char *id) {
        cli_truncated_id(buf, id, "sha256:");
}

int cli_image_status(struct cli *cli, const char *image, bool is_verbose, ProtobufCMessage **ret,
                     struct cric_error **err) {
        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        spec.image = (char *) image;
        Runtime__V1__ImageStatusRequest req = RUNTIME__V1__IMAGE_STATUS_REQUEST__INIT;
        req.image = &spec;
        req.verbose = is_verbose;
        return cli_call(cli, IMAGE_SERVICE "ImageStatus", &req.base, &runtime__v1__image_status_response__descriptor,
                        ret, err);
}

/* ListImages, with a filter when image is not NULL. */
static int list_images(struct cli *cli, const char *image, ProtobufCMessage **ret, struct cric_error **err) {
        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        Runtime__V1__ImageFilter filter = RUNTIME__V1__IMAGE_FILTER__INIT;
        Runtime__V1__ListImagesRequest req = RUNTIME__V1__LIST_IMAGES_REQUEST__INIT;
        if (image) {
                spec.image = (char *) image;
                filter.image = &spec;
                req.filter = &filter;
        }
        return cli_call_list(cli, IMAGE_SERVICE "ListImages", IMAGE_SERVICE "StreamImages", &req.base,
                             &runtime__v1__list_images_response__descriptor, ret, err);
}

/* ---- images ---- */

/* crictl's imageByRef: by first tag, else first digest, else id. */
static bool image_less(const Runtime__V1__Image *a, const Runtime__V1__Image *b) {
        if (a->n_repo_tags > 0 && b->n_repo_tags > 0)
                return strcmp(a->repo_tags[0], b->repo_tags[0]) < 0;
        if (a->n_repo_digests > 0 && b->n_repo_digests > 0)
                return strcmp(a->repo_digests[0], b->repo_digests[0]) < 0;
        return strcmp(a->id, b->id) < 0;
}

/* Insertion sort: stable, and safe with crictl's order, which is not transitive
 * across images with and without tags (qsort may misbehave on such orders). */
static void images_sort(Runtime__V1__Image **v, size_t n) {
        for (size_t i = 1; i < n; i++) {
                Runtime__V1__Image *x = v[i];
                size_t j = i;
                for (; j > 0 && image_less(x, v[j - 1]); j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}

static void add_image_row(struct cli_table *t, bool has_digests, const char *repo, const char *tag, const char *digest,
                          const char *id, const char *size) {
        if (has_digests)
                cli_table_add_row(t, repo, tag, digest, id, size, NULL);
        else
                cli_table_add_row(t, repo, tag, id, size, NULL);
}

/* The rows of one image, as crictl's normalizeRepoDigest and normalizeRepoTagPair cut them. */
static void images_add_rows(struct cli_table *t, const Runtime__V1__Image *img, bool has_digests) {
        AUTOFREE char *name = NULL;
        char digest[CLI_TRUNC_ID_LEN + 1] = "<none>", id[CLI_TRUNC_ID_LEN + 1], size[32];
        if (img->n_repo_digests == 0) {
                name = xstrdup("<none>");
        } else {
                const char *at = strchr(img->repo_digests[0], '@');
                if (at && strchr(at + 1, '@')) /* Go's Split would give three parts */
                        at = NULL;
                name = at ? xstrndup(img->repo_digests[0], (size_t) (at - img->repo_digests[0])) : xstrdup("errorName");
                if (at)
                        truncated_id(digest, at + 1);
                else
                        truncated_id(digest, "errorRepoDigest");
        }
        truncated_id(id, img->id);
        cli_human_size(size, sizeof(size), (double) img->size, 3);
        if (img->n_repo_tags == 0)
                add_image_row(t, has_digests, name, "<none>", digest, id, size);
        for (size_t i = 0; i < img->n_repo_tags; i++) {
                const char *rt = img->repo_tags[i], *colon = strrchr(rt, ':');
                if (!colon) {
                        add_image_row(t, has_digests, "errorRepoTag", "errorRepoTag", digest, id, size);
                        continue;
                }
                AUTOFREE char *repo = xstrndup(rt, (size_t) (colon - rt));
                add_image_row(t, has_digests, strcmp(repo, "<none>") ? repo : name, colon + 1, digest, id, size);
        }
}

static void images_print_verbose(Runtime__V1__Image *const *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                printf("ID: %s\n", v[i]->id);
                for (size_t j = 0; j < v[i]->n_repo_tags; j++)
                        printf("RepoTags: %s\n", v[i]->repo_tags[j]);
                for (size_t j = 0; j < v[i]->n_repo_digests; j++)
                        printf("RepoDigests: %s\n", v[i]->repo_digests[j]);
                if (v[i]->size)
                        printf("Size: %llu\n", (unsigned long long) v[i]->size);
                if (v[i]->uid) /* Go's %v of the gogo-generated message */
                        printf("Uid: &Int64Value{Value:%lld,}\n", (long long) v[i]->uid->value);
                if (*v[i]->username)
                        printf("Username: %s\n", v[i]->username);
                if (v[i]->pinned)
                        printf("Pinned: true\n");
                printf("\n");
        }
}

struct images_opts {
        const char *output;
        bool is_help, is_quiet, is_verbose, has_digests;
};

static void images_print(const struct images_opts *o, Runtime__V1__Image *const *v, size_t n) {
        if (o->is_quiet) {
                for (size_t i = 0; i < n; i++) /* ids are unique per image; skip a repeated one */
                        if (i == 0 || strcmp(v[i]->id, v[i - 1]->id))
                                printf("%s\n", v[i]->id);
                return;
        }
        if (o->is_verbose) {
                images_print_verbose(v, n);
                return;
        }
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(10, 3); /* crictl's tabwriter settings */
        if (o->has_digests)
                cli_table_add_row(t, "IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE", NULL);
        else
                cli_table_add_row(t, "IMAGE", "TAG", "IMAGE ID", "SIZE", NULL);
        for (size_t i = 0; i < n; i++)
                images_add_rows(t, v[i], o->has_digests);
        cli_table_print(t, stdout);
}

int cmd_images(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct images_opts o = {0};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"verbose", 'v', CLI_FLAG_BOOL, &o.is_verbose, NULL, "Show verbose info for images"},
                {"quiet", 'q', CLI_FLAG_BOOL, &o.is_quiet, NULL, "Only show image IDs"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"digests", 0, CLI_FLAG_BOOL, &o.has_digests, NULL, "Show digests"},
        };
        int nargs;
        int r = cli_command_parse("images", "[REPOSITORY[:TAG]]", flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs > 1)
                return cric_error_set(err, CRIC_E_INVALID, "images: too many arguments (see 'cricctl images --help')");
        enum cli_output fmt;
        if (cli_output_pick(cli, o.output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                return cric_error_prefix(err, "images");

        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (list_images(cli, nargs ? argv[1] : NULL, &msg, err) < 0)
                return cric_error_prefix(err, "listing images");
        Runtime__V1__ListImagesResponse *resp = (Runtime__V1__ListImagesResponse *) msg;
        images_sort(resp->images, resp->n_images);
        if (fmt != CLI_OUTPUT_TABLE) {
                AUTOJSON json_object *doc = cli_proto_to_json(msg, IMAGE_JSON);
                cli_print_json_as(stdout, doc, fmt);
                return 0;
        }
        images_print(&o, resp->images, resp->n_images);
        return 0;
}

/* ---- inspecti ---- */

/* An info value as crictl shows it: JSON objects and arrays parsed, anything else as a
 * string with its surrounding double quotes trimmed (as cricctl info does). */
/* crictl's outputStatusInfo: {"status": <Image>, <each info key>: <value>}, keys sorted
 * as Go's maps print them. */
static json_object *image_status_json(const Runtime__V1__ImageStatusResponse *r) {
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "status", cli_proto_to_json(&r->image->base, IMAGE_JSON));
        for (size_t i = 0; i < r->n_info; i++)
                jx_add(o, r->info[i]->key, cli_info_value(r->info[i]->value));
        return cli_json_sorted(o);
}

static void image_status_print_table(Runtime__V1__ImageStatusResponse *r, bool is_verbose) {
        const Runtime__V1__Image *img = r->image;
        char size[32];
        printf("ID: %s\n", img->id);
        for (size_t i = 0; i < img->n_repo_tags; i++)
                printf("Tag: %s\n", img->repo_tags[i]);
        for (size_t i = 0; i < img->n_repo_digests; i++)
                printf("Digest: %s\n", img->repo_digests[i]);
        cli_human_size(size, sizeof(size), (double) img->size, 3);
        printf("Size: %s\n", size);
        if (!is_verbose)
                return;
        cli_print_info_line(stdout, (void **) r->info, r->n_info);
}

static int inspect_one(struct cli *cli, const char *image, bool is_verbose, enum cli_output fmt,
                       struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_image_status(cli, image, is_verbose, &msg, err) < 0)
                return cric_error_prefix(err, "image status for \"%s\" request", image);
        Runtime__V1__ImageStatusResponse *r = (Runtime__V1__ImageStatusResponse *) msg;
        if (!r->image)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "no such image \"%s\" present", image);
        if (fmt == CLI_OUTPUT_TABLE) {
                image_status_print_table(r, is_verbose);
                return 0;
        }
        AUTOJSON json_object *doc = image_status_json(r);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

int cmd_inspecti(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false, is_quiet = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"quiet", 'q', CLI_FLAG_BOOL, &is_quiet, NULL, "Do not show verbose information"},
        };
        int nargs;
        int r = cli_command_parse("inspecti", "IMAGE-ID [IMAGE-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv,
                                  &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0) { /* crictl shows the command's help */
                cli_command_usage(stdout, "inspecti", "IMAGE-ID [IMAGE-ID...]", flags, N_FLAGS(flags));
                return 0;
        }
        enum cli_output fmt;
        if (cli_output_pick(cli, output, CLI_OUTPUT_JSON, OUTPUTS_ALL, &fmt, err) < 0)
                return cric_error_prefix(err, "inspecti");
        size_t n_failed = 0;
        for (int i = 1; i <= nargs; i++) {
                struct cric_error *e = NULL;
                if (inspect_one(cli, argv[i], !is_quiet, fmt, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- imagefsinfo ---- */

static void fs_print_table(const char *label, Runtime__V1__FilesystemUsage *const *fs, size_t n) {
        printf("%s Filesystem \n", label);
        for (size_t i = 0; i < n; i++) {
                char size[32];
                cli_human_size(size, sizeof(size), fs[i]->used_bytes ? (double) fs[i]->used_bytes->value : 0, 4);
                printf("TimeStamp[%zu]: %lld\n", i, (long long) fs[i]->timestamp);
                printf("Disk[%zu]: %s\n", i, size);
                printf("Inodes[%zu]: %llu\n", i,
                       (unsigned long long) (fs[i]->inodes_used ? fs[i]->inodes_used->value : 0));
                printf("Mountpoint[%zu]: %s\n", i, fs[i]->fs_id ? fs[i]->fs_id->mountpoint : "");
        }
}

int cmd_imagefsinfo(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT",
                 "Output format, One of: json|yaml|table (default: json)"},
        };
        int nargs;
        int r = cli_command_parse("imagefsinfo", NULL, flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs > 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "imagefsinfo: unexpected argument \"%s\" (see 'cricctl imagefsinfo --help')",
                                      argv[1]);
        enum cli_output fmt;
        if (cli_output_pick(cli, output, CLI_OUTPUT_JSON, OUTPUTS_ALL, &fmt, err) < 0)
                return cric_error_prefix(err, "imagefsinfo");

        Runtime__V1__ImageFsInfoRequest req = RUNTIME__V1__IMAGE_FS_INFO_REQUEST__INIT;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, IMAGE_SERVICE "ImageFsInfo", &req.base, &runtime__v1__image_fs_info_response__descriptor,
                     &msg, err) < 0)
                return cric_error_prefix(err, "image filesystem info request");
        const Runtime__V1__ImageFsInfoResponse *resp = (const Runtime__V1__ImageFsInfoResponse *) msg;
        if (fmt == CLI_OUTPUT_TABLE) {
                fs_print_table("Image", resp->image_filesystems, resp->n_image_filesystems);
                fs_print_table("Container", resp->container_filesystems, resp->n_container_filesystems);
                return 0;
        }
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "status", cli_proto_to_json(msg, IMAGE_JSON));
        AUTOJSON json_object *doc = cli_json_sorted(o);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

/* ---- rmi ---- */

/* The images rmi works through, in the order they were named or listed. */
struct rm_set {
        struct rm_item {
                char *name;
                bool is_wanted; /* false once --prune finds a container using it */
        } * items;
        size_t n, cap;
};

static void rm_set_add(struct rm_set *s, const char *name, bool is_wanted) {
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->items[i].name, name)) {
                        s->items[i].is_wanted = is_wanted;
                        return;
                }
        s->items = xgrow(s->items, &s->cap, s->n + 1, sizeof(*s->items));
        s->items[s->n++] = (struct rm_item){.name = xstrdup(name), .is_wanted = is_wanted};
}

static void rm_set_clear(struct rm_set *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->items[i].name);
        free(s->items);
        *s = (struct rm_set){0};
}

static int rm_add_all_images(struct cli *cli, struct rm_set *s, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (list_images(cli, NULL, &msg, err) < 0)
                return -1;
        const Runtime__V1__ListImagesResponse *r = (const Runtime__V1__ListImagesResponse *) msg;
        for (size_t i = 0; i < r->n_images; i++) {
                log_debug("adding image to be removed: %s", r->images[i]->id);
                rm_set_add(s, r->images[i]->id, true);
        }
        return 0;
}

/* --prune keeps the images of every container, by the id ImageStatus resolves them to. */
static int rm_exclude_in_use(struct cli *cli, struct rm_set *s, struct cric_error **err) {
        Runtime__V1__ListContainersRequest req = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "ListContainers", &req.base,
                     &runtime__v1__list_containers_response__descriptor, &msg, &e) < 0) {
                if (e->kind != CRIC_E_UNIMPLEMENTED) {
                        return cric_error_move(err, &e);
                }
                log_debug("the runtime has no containers to list (%s): every image counts as unused", e->msg);
                return 0;
        }
        const Runtime__V1__ListContainersResponse *r = (const Runtime__V1__ListContainersResponse *) msg;
        for (size_t i = 0; i < r->n_containers; i++) {
                const Runtime__V1__Container *c = r->containers[i];
                const char *image = c->image && *c->image->image ? c->image->image : c->image_ref;
                CLEANUP(cli_proto_freep) ProtobufCMessage *st = NULL;
                CLEANUP(cric_error_freep) struct cric_error *se = NULL;
                if (cli_image_status(cli, image, false, &st, &se) < 0) {
                        log_error("image status request for \"%s\" failed: %s", image, se->msg);
                        continue;
                }
                const Runtime__V1__Image *img = ((const Runtime__V1__ImageStatusResponse *) st)->image;
                if (img) {
                        log_debug("excluding in use container image: %s", img->id);
                        rm_set_add(s, img->id, false);
                }
        }
        return 0;
}

/* crictl's order: ImageStatus (for the names to print), RemoveImage, then one
 * "Deleted:" line per tag, or per digest when the image has no tags. */
static int remove_one(struct cli *cli, const char *name, bool is_prune, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_image_status(cli, name, false, &msg, err) < 0)
                return cric_error_prefix(err, "image status request for \"%s\" failed", name);
        const Runtime__V1__Image *img = ((const Runtime__V1__ImageStatusResponse *) msg)->image;
        if (!img)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "no such image %s", name);
        if (is_prune && img->pinned) { /* the runtime keeps pinned images: a prune leaves them alone */
                log_debug("image %s is pinned, keeping it", name);
                return 0;
        }

        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        spec.image = (char *) name;
        Runtime__V1__RemoveImageRequest req = RUNTIME__V1__REMOVE_IMAGE_REQUEST__INIT;
        req.image = &spec;
        CLEANUP(cli_proto_freep) ProtobufCMessage *resp = NULL;
        if (cli_call(cli, IMAGE_SERVICE "RemoveImage", &req.base, &runtime__v1__remove_image_response__descriptor,
                     &resp, err) < 0) {
                if (!is_prune)
                        return cric_error_prefix(err, "error of removing image \"%s\"", name);
                /* Another client may have removed it meanwhile: not worth failing a prune. */
                cric_error_log_free(err, "removing image %s, ignoring", name);
                return 0;
        }
        for (size_t i = 0; i < img->n_repo_tags; i++)
                printf("Deleted: %s\n", img->repo_tags[i]);
        for (size_t i = 0; !img->n_repo_tags && i < img->n_repo_digests; i++)
                printf("Deleted: %s\n", img->repo_digests[i]);
        if (!img->n_repo_tags && !img->n_repo_digests) /* crictl prints nothing here; say what went */
                printf("Deleted: %s\n", img->id);
        return 0;
}

static int rmi_run(struct cli *cli, int nargs, char **args, bool is_all, bool is_prune, struct cric_error **err) {
        struct rm_set set = {0};
        for (int i = 0; i < nargs; i++)
                rm_set_add(&set, args[i], true);
        int r = 0;
        if ((is_all || is_prune) && rm_add_all_images(cli, &set, err) < 0)
                r = cric_error_prefix(err, "listing images");
        if (r >= 0 && is_prune && rm_exclude_in_use(cli, &set, err) < 0)
                r = cric_error_prefix(err, "listing containers");
        size_t n_removed = 0, n_failed = 0;
        for (size_t i = 0; r >= 0 && i < set.n; i++) {
                struct cric_error *e = NULL;
                if (!set.items[i].is_wanted)
                        continue;
                n_removed++;
                if (remove_one(cli, set.items[i].name, is_prune, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        if (r >= 0 && n_removed == 0)
                log_info("no images to remove");
        rm_set_clear(&set);
        return r < 0 || n_failed ? -1 : 0;
}

int cmd_rmi(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        bool is_help = false, is_all = false, is_prune = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"all", 'a', CLI_FLAG_BOOL, &is_all, NULL, "Remove all images"},
                {"prune", 'q', CLI_FLAG_BOOL, &is_prune, NULL, "Remove all unused images"},
        };
        int nargs;
        int r = cli_command_parse("rmi", "IMAGE-ID [IMAGE-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0 && !is_all && !is_prune) { /* crictl shows the command's help */
                cli_command_usage(stdout, "rmi", "IMAGE-ID [IMAGE-ID...]", flags, N_FLAGS(flags));
                return 0;
        }
        return rmi_run(cli, nargs, argv + 1, is_all, is_prune, err);
}

/* ---- pull: progress line ---- */

/* While a pull runs, a thread polls ImageFsInfo and shows how much the image
 * filesystem grew since the pull started: the CRI reports no per-pull progress, and
 * the image appears in ListImages only once complete, so stored bytes are the best
 * measure there is. The thread has a connection of its own: struct cli is not
 * thread-safe. */
struct pull_progress {
        struct cli cli;
        const char *image;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond; /* signalled when is_stopping is set */
        bool is_stopping;
        struct timespec start;
        size_t width; /* of the line drawn last, to blank it */
};

static double seconds_since(const struct timespec *t0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - t0->tv_sec) + (double) (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int fs_used_bytes(struct cli *cli, uint64_t *ret, struct cric_error **err) {
        Runtime__V1__ImageFsInfoRequest req = RUNTIME__V1__IMAGE_FS_INFO_REQUEST__INIT;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, IMAGE_SERVICE "ImageFsInfo", &req.base,
                             &runtime__v1__image_fs_info_response__descriptor, PROGRESS_POLL_TIMEOUT_MS, &msg, err) < 0)
                return -1;
        const Runtime__V1__ImageFsInfoResponse *r = (const Runtime__V1__ImageFsInfoResponse *) msg;
        uint64_t sum = 0;
        for (size_t i = 0; i < r->n_image_filesystems; i++)
                sum += r->image_filesystems[i]->used_bytes ? r->image_filesystems[i]->used_bytes->value : 0;
        *ret = sum;
        return 0;
}

/* "12.3 MB": decimal units like the tables, with a space, for a line read live. */
static void progress_size(char *buf, size_t size, double v) {
        if (v < 1000) {
                snprintf(buf, size, "%.0f B", v);
                return;
        }
        static const char *const units[] = {"kB", "MB", "GB", "TB", "PB"};
        size_t i = 0;
        for (v /= 1000; v >= 999.95 && i + 1 < sizeof(units) / sizeof(units[0]); i++)
                v /= 1000;
        snprintf(buf, size, "%.1f %s", v, units[i]);
}

static void progress_draw(struct pull_progress *p, bool has_bytes, uint64_t bytes) {
        double secs = seconds_since(&p->start);
        char stats[128], stored[32], rate[32], line[512];
        if (has_bytes) {
                progress_size(stored, sizeof(stored), (double) bytes);
                progress_size(rate, sizeof(rate), secs > 0 ? (double) bytes / secs : 0);
                snprintf(stats, sizeof(stats), "%s stored, %s/s, %.1fs", stored, rate, secs);
        } else {
                snprintf(stats, sizeof(stats), "%.1fs", secs);
        }
        /* A line wider than the terminal wraps, and \r would redraw only its last row:
         * shorten the image name from the left (its tag is the telling part), or drop it. */
        struct winsize ws;
        int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 0;
        size_t name_len = strlen(p->image), fixed = strlen("pulling : ") + strlen(stats);
        size_t room = cols && (size_t) cols > fixed + 1 ? (size_t) cols - 1 - fixed : 0;
        if (!cols || name_len <= room)
                snprintf(line, sizeof(line), "pulling %s: %s", p->image, stats);
        else if (room >= 12)
                snprintf(line, sizeof(line), "pulling ...%s: %s", p->image + name_len - (room - 3), stats);
        else
                snprintf(line, sizeof(line), "pulling: %s", stats);
        size_t len = strlen(line);
        if (cols && len >= (size_t) cols)
                line[len = (size_t) cols - 1] = '\0';
        fprintf(stderr, "\r%s%*s", line, p->width > len ? (int) (p->width - len) : 0, "");
        p->width = len > p->width ? len : p->width;
}

static void *progress_run(void *arg) {
        struct pull_progress *p = arg;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        uint64_t base = 0, used = 0, delta = 0;
        bool has_bytes = fs_used_bytes(&p->cli, &base, &e) >= 0;
        if (!has_bytes)
                log_debug("pull progress shows the elapsed time only: %s", e->msg);
        pthread_mutex_lock(&p->lock);
        while (!p->is_stopping) {
                pthread_mutex_unlock(&p->lock);
                if (has_bytes && fs_used_bytes(&p->cli, &used, NULL) >= 0)
                        delta = used > base ? used - base : 0; /* a GC meanwhile can shrink it */
                progress_draw(p, has_bytes, delta);
                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_nsec += PROGRESS_PERIOD_MS * 1000000L;
                until.tv_sec += until.tv_nsec / 1000000000L;
                until.tv_nsec %= 1000000000L;
                pthread_mutex_lock(&p->lock);
                while (!p->is_stopping && pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
                        ;
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

/* Starts the progress line; NULL (and no line) when it cannot. */
static struct pull_progress *progress_start(const struct cli *cli, const char *image) {
        struct pull_progress *p = xzalloc(sizeof(*p));
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cli_endpoints_set(&p->cli, cli->runtime.endpoint, cli->image.endpoint, &e) < 0) {
                free(p);
                return NULL;
        }
        p->image = image;
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cond, &attr);
        pthread_condattr_destroy(&attr);
        pthread_mutex_init(&p->lock, NULL);
        if (pthread_create(&p->thread, NULL, progress_run, p) != 0) {
                log_debug("cannot start the pull progress thread, going on without it");
                pthread_cond_destroy(&p->cond);
                pthread_mutex_destroy(&p->lock);
                cli_clear(&p->cli);
                free(p);
                return NULL;
        }
        return p;
}

/* Stops the thread and blanks the line. Accepts NULL. */
static void progress_stop(struct pull_progress *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->is_stopping = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        if (p->width)
                fprintf(stderr, "\r%*s\r", (int) p->width, "");
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        cli_clear(&p->cli);
        free(p);
}

/* ---- pull ---- */

/* crictl's getAuth and parseCreds: --creds USER[:PASS] or --auth BASE64, not both.
 * auth points into o or to *ret_username, which the caller frees. */
static int auth_from_opts(const struct cli_pull_opts *o, Runtime__V1__AuthConfig *auth, char **ret_username,
                          struct cric_error **err) {
        bool has_creds = o->creds && *o->creds, has_auth = o->auth && *o->auth; /* "" means not given */
        if (has_creds && has_auth)
                return cric_error_set(err, CRIC_E_INVALID, "both `--creds` and `--auth` are specified");
        if (has_auth)
                auth->auth = (char *) o->auth;
        if (!has_creds)
                return 0;
        const char *colon = strchr(o->creds, ':');
        if (colon == o->creds)
                return cric_error_set(err, CRIC_E_INVALID, "--creds: username can't be empty");
        auth->username = *ret_username = xstrndup(o->creds, colon ? (size_t) (colon - o->creds) : strlen(o->creds));
        auth->password = (char *) (colon ? colon + 1 : "");
        return 0;
}

int cli_pull_deadline(const struct cli *cli, const char *flag, int64_t *ret_ms, struct cric_error **err) {
        if (flag && *flag)
                return cli_duration_parse(flag, ret_ms, err) < 0 ? cric_error_prefix(err, "--pull-timeout") : 0;
        /* A pull may take minutes, which the default 2s would cut short. */
        *ret_ms = cli->has_timeout ? cli->timeout_ms : 0;
        return 0;
}

int cli_image_pull(struct cli *cli, const char *image, const struct cli_pull_opts *o, char **ret_image_ref,
                   struct cric_error **err) {
        Runtime__V1__AuthConfig auth = RUNTIME__V1__AUTH_CONFIG__INIT;
        AUTOFREE char *username = NULL;
        if (auth_from_opts(o, &auth, &username, err) < 0)
                return -1;
        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        spec.image = (char *) image;
        Runtime__V1__PullImageRequest req = RUNTIME__V1__PULL_IMAGE_REQUEST__INIT;
        req.image = &spec;
        req.auth = *auth.username || *auth.auth ? &auth : NULL;
        req.sandbox_config = (Runtime__V1__PodSandboxConfig *) o->sandbox_config;
        log_debug("pull deadline: %lld ms (0: none)", (long long) o->timeout_ms);

        /* cli_call logs whole requests at debug level, and credentials must never
         * reach a log: keep the level below debug for this one call. */
        enum log_level saved_level = log_get_level();
        if (req.auth && log_enabled(LOG_LEVEL_DEBUG)) {
                log_debug("PullImage request not logged: it carries credentials");
                log_set_level(LOG_LEVEL_INFO);
        }
        struct pull_progress *progress = o->has_progress ? progress_start(cli, image) : NULL;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        int r = cli_call_timeout(cli, IMAGE_SERVICE "PullImage", &req.base,
                                 &runtime__v1__pull_image_response__descriptor, o->timeout_ms, &msg, err);
        progress_stop(progress);
        log_set_level(saved_level);
        if (r < 0)
                return -1;
        if (ret_image_ref)
                *ret_image_ref = xstrdup(((const Runtime__V1__PullImageResponse *) msg)->image_ref);
        return 0;
}

struct pull_flags {
        const char *creds, *auth, *pod_config, *pull_timeout;
        bool is_help;
};

static int pull_run(struct cli *cli, const char *image, const struct pull_flags *f, struct cric_error **err) {
        struct cli_pull_opts o = {.creds = f->creds, .auth = f->auth, .has_progress = isatty(STDOUT_FILENO)};
        Runtime__V1__AuthConfig probe = RUNTIME__V1__AUTH_CONFIG__INIT;
        AUTOFREE char *username = NULL;
        if (auth_from_opts(&o, &probe, &username, err) < 0 ||
            cli_pull_deadline(cli, f->pull_timeout, &o.timeout_ms, err) < 0)
                return cric_error_prefix(err, "pull");
        CLEANUP(cli_proto_freep) ProtobufCMessage *cfg = NULL;
        if (f->pod_config) {
                cfg = cli_proto_from_json_file(f->pod_config, &runtime__v1__pod_sandbox_config__descriptor, err);
                if (!cfg)
                        return cric_error_prefix(err, "load podSandboxConfig");
                o.sandbox_config = cfg;
        }
        AUTOFREE char *ref = NULL;
        if (cli_image_pull(cli, image, &o, &ref, err) < 0)
                return cric_error_prefix(err, "pulling image");
        printf("Image is up to date for %s\n", ref);
        return 0;
}

int cmd_pull(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct pull_flags o = {.creds = env_nonempty("CRICTL_CREDS"),
                               .auth = env_nonempty("CRICTL_AUTH"),
                               .pull_timeout = env_nonempty("CRICTL_PULL_TIMEOUT")};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"creds", 0, CLI_FLAG_STRING, &o.creds, "USERNAME[:PASSWORD]",
                 "Use USERNAME[:PASSWORD] for accessing the registry [$CRICTL_CREDS]"},
                {"auth", 0, CLI_FLAG_STRING, &o.auth, "AUTH_STRING",
                 "Use AUTH_STRING for accessing the registry. AUTH_STRING is a base64 encoded 'USERNAME[:PASSWORD]' "
                 "[$CRICTL_AUTH]"},
                {"pod-config", 0, CLI_FLAG_STRING, &o.pod_config, "pod-config.json",
                 "Use pod-config.json to override the pull context"},
                {"pull-timeout", 0, CLI_FLAG_STRING, &o.pull_timeout, "DURATION",
                 "Maximum time to be used for pulling the image, disabled if set to 0s (default: the global "
                 "--timeout if given, else none) [$CRICTL_PULL_TIMEOUT]"},
        };
        int nargs;
        int r = cli_command_parse("pull", "NAME[:TAG|@DIGEST]", flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0 || !*argv[1])
                return cric_error_set(err, CRIC_E_INVALID, "pull: image name cannot be empty");
        if (nargs > 1)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "pull: one image at a time, got %d (see 'cricctl pull --help')", nargs);
        return pull_run(cli, argv[1], &o, err);
}
