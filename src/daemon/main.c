/* cricd: the CRI daemon. */
#include <errno.h>
#include <grpc/grpc.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/check.h"
#include "daemon/flags.h"
#include "daemon/metrics_server.h"
#include "daemon/notify.h"
#include "daemon/reap.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "network/cni_manager.h"
#include "runtime/runtime.h"
#include "server/server.h"
#include "streaming/server.h"
#include "storage/storage.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/log_journal.h"
#include "util/memtrim.h"
#include "util/xalloc.h"

#define SHUTDOWN_GRACE_MS 10000

static void apply_logging(const struct cric_config *cfg) {
        log_set_level(cfg->log_level);
        log_set_format(cfg->log_format);
}

/* SIGHUP: build a new snapshot from the same files and flags and swap it in. Settings
 * that only take effect at start are reported, not half-applied. */
static void reload(struct cric_server *srv, struct runtime *rt, const struct config_overrides *ov,
                   struct cric_config **cur) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cric_config *next = NULL;
        if (config_load(ov, &next, &err) < 0) {
                log_error("reload: %s; keeping the running configuration", err->msg);
                return;
        }
        if (runtime_config_check(next, &err) < 0) {
                log_error("reload: %s; keeping the running configuration", err->msg);
                config_unref(next);
                return;
        }
        if (strcmp(next->listen, (*cur)->listen) || strcmp(next->root, (*cur)->root) ||
            strcmp(next->runroot, (*cur)->runroot) || next->grpc_max_msg_size != (*cur)->grpc_max_msg_size ||
            next->grpc_max_workers != (*cur)->grpc_max_workers)
                log_warn("reload: listen, root, runroot and grpc_* settings take effect at the next start only");
        if (next->enable_metrics != (*cur)->enable_metrics || strcmp(next->metrics_host, (*cur)->metrics_host) ||
            next->metrics_port != (*cur)->metrics_port || strcmp(next->metrics_socket, (*cur)->metrics_socket))
                log_warn("reload: the metrics settings take effect at the next start only");
        apply_logging(next);
        server_set_config(srv, next);
        runtime_set_config(rt, next);
        config_unref(*cur);
        *cur = next;
        log_info("configuration reloaded");
}

/* reload() between the service manager's RELOADING=1 and READY=1; listen: the socket
 * served, which a reload does not change. */
static void reload_notified(struct cric_server *srv, struct runtime *rt, const struct config_overrides *ov,
                            struct cric_config **cur, const char *listen) {
        AUTOFREE char *msg = notify_reloading_message(notify_now_usec(), "reloading the configuration");
        if (notify_service_manager(msg) < 0)
                log_warn("cannot notify the service manager: %s", strerror(errno));
        reload(srv, rt, ov, cur);
        AUTOFREE char *status = notify_serving_status(rt, listen);
        notify_sendf("READY=1\nSTATUS=%s", status ? status : "serving");
}

/* The daemon's long-lived parts, in the order they are built. */
struct daemon {
        struct store *db;
        struct layer_store *layers;
        struct image_service *images;
        struct cgroup_mounts *cgroups;
        struct cni_manager *cni;
        struct runtime *runtime;
        struct stream_server *streams;
        struct cric_server *srv;
        struct metrics_server *metrics;
        int lock_fd; /* <root>/cric.lock, held while serving */
};

static void daemon_clear(struct daemon *d) {
        d->metrics = metrics_server_stop(d->metrics);
        d->srv = server_free(d->srv);
        d->streams = stream_server_stop(d->streams);
        d->runtime = runtime_free(d->runtime);
        d->cgroups = cgroup_mounts_free(d->cgroups);
        cni_manager_free(d->cni);
        d->cni = NULL;
        d->images = image_service_free(d->images);
        d->layers = layer_store_free(d->layers);
        d->db = store_close(d->db);
}

static int start_streams(struct daemon *d, const struct cric_config *cfg, struct cric_error **err) {
        struct stream_server_opts so = {
                .address = cfg->stream_address,
                .port = cfg->stream_port,
                .enable_tls = cfg->stream_enable_tls,
                .tls_cert = cfg->stream_tls_cert,
                .tls_key = cfg->stream_tls_key,
                .tls_ca = cfg->stream_tls_ca,
        };
        if (config_duration_ms(cfg->stream_idle_timeout, &so.idle_timeout_ms, err) < 0)
                return cric_error_prefix(err, "stream_idle_timeout");
        return stream_server_start(&so, d->runtime, &d->streams, err);
}

/* The Prometheus endpoint, when enabled; recording starts before anything is served. */
static int start_metrics(struct daemon *d, const struct cric_config *cfg, struct cric_error **err) {
        if (!cfg->enable_metrics)
                return 0;
        if (!*cfg->metrics_cert != !*cfg->metrics_key)
                log_warn("metrics: metrics_cert and metrics_key go together; serving plain HTTP");
        metrics_runtime_register(metrics_registry(), d->runtime);
        metrics_registry_set_filter(metrics_registry(), cfg->metrics_collectors);
        struct metrics_server_opts mo = {
                .host = cfg->metrics_host,
                .port = cfg->metrics_port,
                .socket_path = cfg->metrics_socket,
                .cert = cfg->metrics_cert,
                .key = cfg->metrics_key,
        };
        return metrics_server_start(&mo, metrics_registry(), &d->metrics, err);
}

static int daemon_init(struct daemon *d, struct cric_config *cfg, struct cric_error **err) {
        int64_t idle_ms;
        if (config_duration_ms(cfg->stream_idle_timeout, &idle_ms, err) < 0) /* refused before anything starts */
                return cric_error_prefix(err, "stream_idle_timeout");
        if (cfg->enable_metrics)
                metrics_enable();
        if (fs_mkdir_p(cfg->root, 0711, err) < 0 || fs_mkdir_p(cfg->runroot, 0711, err) < 0)
                return -1;
        if (root_lock_take(cfg->root, &d->lock_fd, err) < 0)
                return -1;
        bool was_clean = root_shutdown_was_clean(cfg->root);
        AUTOFREE char *db_path = xasprintf("%s/cric.db", cfg->root);
        AUTOFREE char *storage = xasprintf("%s/storage", cfg->root);
        if (store_open(db_path, &d->db, err) < 0 ||
            layer_store_open(storage, cfg->storage_driver, cfg->storage_options, &d->layers, err) < 0)
                return -1;
        root_shutdown_forget(cfg->root);
        if (!was_clean)
                daemon_check_after_crash(d->db, d->layers);
        AUTOFREE char *tmp_dir = xasprintf("%s/tmp", cfg->runroot);
        AUTOFREE char *pull_helper = cfg->pull_in_helper ? fs_find_helper(NULL, "cric-pull") : NULL;
        if (cfg->pull_in_helper && !pull_helper)
                log_warn("no cric-pull next to cricd, in libexecdir/cric or in PATH: pulls run inside cricd");
        struct image_service_opts io = {
                .registries_conf = cfg->registries_conf,
                .auth_file = cfg->global_auth_file,
                .certs_dir = cfg->certs_dir,
                .max_parallel_layers = (unsigned) cfg->max_parallel_downloads,
                .signature_policy = cfg->signature_policy,
                .signature_policy_is_default = strcmp(cfg->signature_policy, CRIC_DEFAULT_SIGNATURE_POLICY) == 0,
                .signature_policy_dir = cfg->signature_policy_dir,
                .registries_d = cfg->registries_d,
                .tmp_dir = tmp_dir,
                .insecure_registries = cfg->insecure_registries,
                .pull_helper = pull_helper,
        };
        if (image_service_new(d->db, d->layers, &io, &d->images, err) < 0)
                return -1;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cgroup_mounts_load(NULL, NULL, &d->cgroups, &e) < 0)
                cric_error_log_free(&e, "no cgroup statistics or OOM detection");
        AUTOFREE char *cni_cache = xasprintf("%s/cni", cfg->root);
        struct cni_manager_opts co = {
                .dir = cfg->network_dir,
                .plugin_dirs = cfg->plugin_dirs,
                .default_name = cfg->default_network,
                .cache_dir = cni_cache,
        };
        d->cni = cni_manager_new(&co);
        struct runtime_opts ro = {
                .config = cfg,
                .db = d->db,
                .layers = d->layers,
                .images = d->images,
                .cgroups = d->cgroups,
                .cni = d->cni,
        };
        if (runtime_new(&ro, &d->runtime, err) < 0 || start_streams(d, cfg, err) < 0 || start_metrics(d, cfg, err) < 0)
                return -1;
        struct server_deps deps = {.images = d->images, .runtime = d->runtime, .cni = d->cni, .streams = d->streams};
        if (server_new(cfg, &deps, &d->srv, err) < 0 || server_start(d->srv, err) < 0)
                return -1;
        return 0;
}

/* A monitor ended: its container's exit is recorded even when it wrote no exit file. */
static void on_monitor_reaped(void *data, pid_t pid) {
        runtime_monitor_reaped(data, pid);
}

/* A List reply for a node's pods is built, sent and freed on every relist: without
 * these, glibc gives the memory back to the kernel after each call (trim) and serves
 * the reply's buffer from a fresh mapping, so every call pays for page faults again. */
static void tune_malloc(void) {
        mallopt(M_TRIM_THRESHOLD, 16 << 20);
        mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

/* Once no call has begun for two ticks in a row, the daemon gives back what it keeps
 * mapped without using it (util/memtrim.h), once per quiet spell. */
#define IDLE_TICK_S 5
struct idle {
        unsigned long calls;
        unsigned quiet_ticks;
};

static void idle_tick(struct idle *i, struct cric_server *srv) {
        unsigned long calls = server_calls(srv);
        if (calls != i->calls) {
                i->calls = calls;
                i->quiet_ticks = 0;
                return;
        }
        if (++i->quiet_ticks != 2)
                return;
        long kb = memtrim_idle();
        log_info("idle: %ld kB of file pages unmapped, free memory trimmed", kb);
}

static int serve(struct cric_config *cfg, const struct config_overrides *ov) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGCHLD);
        /* Blocked before any thread starts, so every thread inherits the mask and
         * only the sigwaitinfo() below sees these signals. */
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        tune_malloc();
        if (reap_become_subreaper() < 0)
                log_warn("cannot become a child subreaper: %s", strerror(errno));
        grpc_init();
        struct daemon d = {.lock_fd = -1};
        notify_sendf("STATUS=opening the store and restoring pods and containers");
        if (daemon_init(&d, cfg, &err) < 0) {
                log_error("cannot start: %s", err->msg);
                daemon_clear(&d);
                config_unref(cfg);
                grpc_shutdown_blocking();
                return 1;
        }
        AUTOFREE char *listen = xstrdup(cfg->listen);
        char *status = notify_serving_status(d.runtime, listen);
        notify_sendf("READY=1\nSTATUS=%s", status ? status : "serving");

        struct idle idle = {0};
        struct notify_watchdog wd;
        notify_watchdog_init(&wd);
        uint64_t next_idle = notify_now_usec() + IDLE_TICK_S * 1000000ull;
        for (;;) {
                siginfo_t si;
                uint64_t now = notify_now_usec();
                if (now >= next_idle) {
                        idle_tick(&idle, d.srv);
                        notify_status_update(d.runtime, listen, &status);
                        next_idle = now + IDLE_TICK_S * 1000000ull;
                }
                notify_watchdog_tick(&wd, now);
                uint64_t sleep_us = notify_watchdog_sleep(&wd, now, next_idle - now);
                const struct timespec tick = {.tv_sec = (time_t) (sleep_us / 1000000),
                                              .tv_nsec = (long) (sleep_us % 1000000) * 1000};
                if (sigtimedwait(&set, &si, &tick) < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        log_error("sigtimedwait: %s", strerror(errno));
                        break;
                }
                if (si.si_signo == SIGCHLD) {
                        reap_orphans(NULL, "cric-monitor", on_monitor_reaped, d.runtime);
                        continue;
                }
                if (si.si_signo == SIGHUP) {
                        reload_notified(d.srv, d.runtime, ov, &cfg, listen);
                        continue;
                }
                log_info("received %s, shutting down", strsignal(si.si_signo));
                break;
        }
        notify_sendf("STOPPING=1\nSTATUS=shutting down");
        free(status);
        server_stop(d.srv, SHUTDOWN_GRACE_MS);
        daemon_clear(&d);
        root_shutdown_record_clean(cfg->root);
        close(d.lock_fd);
        config_unref(cfg);
        grpc_shutdown_blocking();
        log_info("stopped");
        return 0;
}

int main(int argc, char **argv) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct daemon_flags flags;
        if (daemon_flags_parse(argc, argv, &flags, &err) < 0) {
                fprintf(stderr, "cricd: %s\nTry 'cricd --help'.\n", err->msg);
                return 2;
        }
        int ret = 0;
        struct cric_config *cfg = NULL;
        switch (flags.command) {
        case DAEMON_CMD_HELP: daemon_flags_usage(stdout); break;
        case DAEMON_CMD_VERSION: printf("cricd version %s\nCRI API version v1\n", CRIC_VERSION); break;
        case DAEMON_CMD_CONFIG:
                if (flags.config_default)
                        cfg = config_new_default();
                else if (config_load(&flags.ov, &cfg, &err) < 0) {
                        fprintf(stderr, "cricd: %s\n", err->msg);
                        ret = 1;
                        break;
                }
                config_print(cfg, stdout);
                config_unref(cfg);
                break;
        case DAEMON_CMD_CHECK:
                if (config_load(&flags.ov, &cfg, &err) < 0) {
                        fprintf(stderr, "cricd: invalid configuration:\n%s\n", err->msg);
                        ret = 1;
                        break;
                }
                apply_logging(cfg);
                ret = daemon_check_run(cfg, flags.check_repair, stdout);
                config_unref(cfg);
                break;
        case DAEMON_CMD_RUN:
                if (log_journal_setup("cricd") < 0) /* before the config's warnings */
                        log_warn("cannot log to the journal, logging to stderr: %s", strerror(errno));
                if (config_load(&flags.ov, &cfg, &err) < 0) {
                        fprintf(stderr, "cricd: invalid configuration:\n%s\n", err->msg);
                        ret = 1;
                        break;
                }
                apply_logging(cfg);
                log_info("cricd %s starting (pid %d)", CRIC_VERSION, (int) getpid());
                ret = serve(cfg, &flags.ov);
                break;
        }
        daemon_flags_clear(&flags);
        return ret;
}
