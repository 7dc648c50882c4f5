/* Set-up and teardown of test_registry_live.c: see live_env.h. Every process
 * started here is stopped by its pid and the temp dir is removed in the teardown;
 * children also get SIGKILL if the test dies (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live_env.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

extern char **environ;

struct live_env live;

/* ---- processes ---- */

static char **child_env(void) {
        size_t n = 0;
        while (environ[n])
                n++;
        char **env = xcalloc(n + 3, sizeof(*env));
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp(environ[i], "HOME=", 5) != 0 && strncmp(environ[i], "XDG_RUNTIME_DIR=", 16) != 0 &&
                    strncmp(environ[i], "REGISTRY_AUTH_FILE=", 19) != 0)
                        env[k++] = environ[i];
        env[k++] = xasprintf("HOME=%s", live.dir);
        env[k++] = xasprintf("XDG_RUNTIME_DIR=%s", live.dir);
        return env;
}

static void child_env_free(char **env) {
        size_t n = 0;
        while (env[n])
                n++;
        free(env[n - 1]);
        free(env[n - 2]);
        free(env);
}

/* Starts argv with stdout/stderr appended to <dir>/<log>; -1 on failure. */
static pid_t spawn(char *const argv[], const char *log) {
        AUTOFREE char *log_path = xasprintf("%s/%s", live.dir, log);
        int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        char **env = child_env();
        pid_t parent = getpid();
        pid_t pid = out < 0 || in < 0 ? -1 : fork();
        if (pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);
                if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(127);
                execve(argv[0], argv, env);
                _exit(127);
        }
        child_env_free(env);
        if (out >= 0)
                close(out);
        if (in >= 0)
                close(in);
        return pid;
}

static int wait_timeout(pid_t pid, int timeout_ms) {
        int status;
        pid_t r = 0;
        if (!WAIT_UNTIL((r = waitpid(pid, &status, WNOHANG)) != 0, timeout_ms))
                return -2;
        if (r < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs argv to completion (killed after timeout_s); returns its exit status. */
static int run(char *const argv[], const char *log, int timeout_s) {
        pid_t pid = spawn(argv, log);
        if (pid < 0)
                return -1;
        int r = wait_timeout(pid, timeout_s * 1000);
        if (r == -2) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        return r;
}

static pid_t start_daemon(char *const argv[], const char *log) {
        if (live.n_pids == LIVE_MAX_PROCS)
                return -1;
        pid_t pid = spawn(argv, log);
        if (pid > 0)
                live.pids[live.n_pids++] = pid;
        return pid;
}

static void stop_daemons(void) {
        for (size_t i = 0; i < live.n_pids; i++)
                kill(live.pids[i], SIGTERM);
        for (size_t i = 0; i < live.n_pids; i++) {
                if (wait_timeout(live.pids[i], 3000) == -2) {
                        kill(live.pids[i], SIGKILL);
                        waitpid(live.pids[i], NULL, 0);
                }
        }
        live.n_pids = 0;
}

int live_free_port(void) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int port = -1;
        if (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 &&
            getsockname(fd, (struct sockaddr *) &a, &len) == 0)
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

static bool port_accepts(int port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {
                .sin_family = AF_INET, .sin_port = htons((uint16_t) port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

/* Waits up to 15 s for port to accept connections; -1 when pid died first. */
static int wait_port(int port, pid_t pid) {
        bool died = false;
        bool up = WAIT_UNTIL(port_accepts(port) || (died = waitpid(pid, NULL, WNOHANG) == pid), 15000);
        return up && !died ? 0 : -1;
}

static void print_log_tails(void) {
        const char *logs[] = {"setup.log", "openssl.log", "helper.log", "plain.log",
                              "tls.log",   "token.log",   "skopeo.log"};
        for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
                AUTOFREE char *path = xasprintf("%s/%s", live.dir, logs[i]);
                AUTOFREE char *data = NULL;
                size_t len;
                if (fs_read_file(path, 64 << 20, &data, &len, NULL) < 0 || len == 0)
                        continue;
                size_t from = len > 3000 ? len - 3000 : 0;
                fprintf(stderr, "---- %s (tail)\n%s\n", logs[i], data + from);
        }
}

/* ---- set-up ---- */

static const char *const tools[][2] = {
        {"docker-registry", "docker-registry"},
        {"skopeo", "skopeo"},
        {"openssl", "openssl"},
        {"htpasswd", "apache2-utils"},
};

static bool tools_missing(void) {
        for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
                AUTOFREE char *path = fs_find_in_path(tools[i][0]);
                if (!path || access(path, X_OK) != 0) {
                        snprintf(live.why, sizeof(live.why), "%s not found (install the %s package)", tools[i][0],
                                 tools[i][1]);
                        return true;
                }
        }
        live.python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : NULL;
        char *argv[] = {(char *) live.python, "-c", "import jwt, cryptography", NULL};
        if (!live.python || run(argv, "python-check.log", 30) != 0) {
                snprintf(live.why, sizeof(live.why),
                         "/usr/bin/python3 with jwt and cryptography not found "
                         "(install python3-jwt and python3-cryptography)");
                return true;
        }
        return false;
}

static char *scripts_dir(void) {
        const char *env = getenv("CRIC_REGISTRY_LIVE_DIR");
        if (env)
                return xstrdup(env);
#ifdef REGISTRY_LIVE_DIR
        return xstrdup(REGISTRY_LIVE_DIR);
#else
        const char *slash = strrchr(__FILE__, '/'); /* this file lives next to the scripts */
        return slash ? xstrndup(__FILE__, (size_t) (slash - __FILE__)) : xstrdup(".");
#endif
}

static int write_text(const char *name, const char *text) {
        AUTOFREE char *path = xasprintf("%s/%s", live.dir, name);
        return fs_write_file_atomic(path, text, strlen(text), 0644, NULL);
}

static int start_registry(const char *name, int port, const char *extra) {
        AUTOFREE char *cfg = xasprintf("version: 0.1\n"
                                       "log:\n  level: info\n"
                                       "storage:\n  filesystem:\n    rootdirectory: %s/data-%s\n"
                                       "http:\n  addr: 127.0.0.1:%d\n%s",
                                       live.dir, name, port, extra);
        AUTOFREE char *cfg_name = xasprintf("%s.yml", name);
        AUTOFREE char *cfg_path = xasprintf("%s/%s", live.dir, cfg_name);
        AUTOFREE char *log = xasprintf("%s.log", name);
        AUTOFREE char *registry = fs_find_in_path("docker-registry");
        if (write_text(cfg_name, cfg) < 0)
                return -1;
        char *argv[] = {registry, "serve", cfg_path, NULL};
        pid_t pid = start_daemon(argv, log);
        return pid < 0 ? -1 : wait_port(port, pid);
}

static int start_registries(void) {
        AUTOFREE char *tls = xasprintf("  tls:\n    certificate: %s/server.crt\n    key: %s/server.key\n"
                                       "    clientcas:\n      - %s/ca.crt\n"
                                       "auth:\n  htpasswd:\n    realm: basic\n    path: %s/users.htpasswd\n",
                                       live.dir, live.dir, live.dir, live.dir);
        AUTOFREE char *token = xasprintf("auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n"
                                         "    service: test\n    issuer: test-issuer\n"
                                         "    rootcertbundle: %s/token.crt\n",
                                         live.tok, live.dir);
        if (start_registry("plain", live.plain, "") < 0 || start_registry("tls", live.tls, tls) < 0 ||
            start_registry("token", live.token, token) < 0)
                return -1;
        return 0;
}

static int start_helper(void) {
        AUTOFREE char *script = xasprintf("%s/helper.py", live.scripts);
        AUTOFREE char *ports = xasprintf("%s/ports", live.dir);
        char *argv[] = {(char *) live.python, script, live.dir, NULL};
        pid_t pid = start_daemon(argv, "helper.log");
        if (pid > 0)
                WAIT_UNTIL(access(ports, F_OK) == 0, 15000);
        AUTOFREE char *data = NULL;
        if (fs_read_file(ports, 4096, &data, NULL, NULL) < 0)
                return -1;
        char *p = strstr(data, "token "), *q = strstr(data, "fake "), *r = strstr(data, "backend ");
        if (!p || !q || !r)
                return -1;
        live.tok = atoi(p + 6);
        live.fake = atoi(q + 5);
        live.backend = atoi(r + 8);
        return 0;
}

static int push_image(void) {
        AUTOFREE char *skopeo = fs_find_in_path("skopeo");
        AUTOFREE char *src = xasprintf("dir:%s/image", live.dir);
        AUTOFREE char *cert_dir = xasprintf("%s/127.0.0.1:%d", live.certs, live.tls);
        AUTOFREE char *plain = xasprintf("docker://127.0.0.1:%d/test/img:1", live.plain);
        AUTOFREE char *tls = xasprintf("docker://127.0.0.1:%d/test/img:1", live.tls);
        AUTOFREE char *token = xasprintf("docker://127.0.0.1:%d/test/img:1", live.token);
        char *a[] = {skopeo, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", src, plain, NULL};
        char *b[] = {skopeo,   "--insecure-policy", "copy",      "-q", "--dest-cert-dir",
                     cert_dir, "--dest-creds",      "user:pass", src,  tls,
                     NULL};
        char *c[] = {skopeo,         "--insecure-policy", "copy", "-q",  "--dest-tls-verify=false",
                     "--dest-creds", "user:pass",         src,    token, NULL};
        if (run(a, "skopeo.log", 60) != 0 || run(b, "skopeo.log", 60) != 0 || run(c, "skopeo.log", 60) != 0)
                return -1;
        return 0;
}

static int load_fixtures(void) {
        AUTOFREE char *digest_path = xasprintf("%s/layer.digest", live.dir);
        AUTOFREE char *manifest_path = xasprintf("%s/image/manifest.json", live.dir);
        if (fs_read_file(digest_path, 4096, &live.layer_digest, NULL, NULL) < 0)
                return -1;
        live.layer_digest[strcspn(live.layer_digest, "\n")] = '\0';
        AUTOFREE char *layer_path = xasprintf("%s/image/%s", live.dir, live.layer_digest + 7);
        if (fs_read_file(layer_path, 1 << 20, &live.layer, &live.layer_len, NULL) < 0 ||
            fs_read_file(manifest_path, 1 << 20, &live.manifest, &live.manifest_len, NULL) < 0)
                return -1;
        digest_buffer(live.manifest, live.manifest_len, live.manifest_digest);
        return 0;
}

/* An extra certs.d with only the client certificate: for insecure TLS. */
static int make_cert_dirs(void) {
        live.certs = xasprintf("%s/certs.d", live.dir);
        live.certs_empty = xasprintf("%s/certs-empty", live.dir);
        live.certs_insecure = xasprintf("%s/certs-insecure", live.dir);
        AUTOFREE char *dst = xasprintf("%s/127.0.0.1:%d", live.certs_insecure, live.tls);
        if (fs_mkdir_p(live.certs_empty, 0755, NULL) < 0 || fs_mkdir_p(dst, 0755, NULL) < 0)
                return -1;
        const char *names[] = {"client.cert", "client.key"};
        for (size_t i = 0; i < 2; i++) {
                AUTOFREE char *from = xasprintf("%s/127.0.0.1:%d/%s", live.certs, live.tls, names[i]);
                AUTOFREE char *to = xasprintf("%s/%s", dst, names[i]);
                AUTOFREE char *data = NULL;
                size_t len;
                if (fs_read_file(from, 1 << 20, &data, &len, NULL) < 0 ||
                    fs_write_file_atomic(to, data, len, 0600, NULL) < 0)
                        return -1;
        }
        return 0;
}

static const char *setup_steps(void) {
        live.plain = live_free_port();
        live.tls = live_free_port();
        live.token = live_free_port();
        AUTOFREE char *setup = xasprintf("%s/setup.sh", live.scripts);
        AUTOFREE char *port = xasprintf("%d", live.tls);
        char *argv[] = {"/bin/bash", setup, live.dir, port, NULL};
        if (live.plain < 0 || live.tls < 0 || live.token < 0)
                return "no free port";
        if (run(argv, "setup.log", 120) != 0)
                return "setup.sh failed";
        if (start_helper() < 0)
                return "helper.py did not start";
        if (make_cert_dirs() < 0)
                return "cannot prepare certs.d directories";
        if (start_registries() < 0)
                return "docker-registry did not start";
        if (push_image() < 0)
                return "skopeo copy failed";
        if (load_fixtures() < 0)
                return "cannot read the pushed image";
        return NULL;
}

int live_setup(void **state) {
        (void) state;
        char tmpl[] = "/tmp/cric-registry-live-XXXXXX";
        if (!mkdtemp(tmpl)) {
                live.setup_error = xasprintf("mkdtemp: %s", strerror(errno));
                return 0;
        }
        live.dir = xstrdup(tmpl);
        if (tools_missing()) {
                live.is_skipped = true;
                fprintf(stderr, "registry live tests skipped: %s\n", live.why);
                return 0;
        }
        live.scripts = scripts_dir();
        AUTOFREE char *setup = xasprintf("%s/setup.sh", live.scripts);
        if (access(setup, R_OK) != 0) {
                live.setup_error = xasprintf("cannot find %s (set CRIC_REGISTRY_LIVE_DIR to the registry_live "
                                             "directory)",
                                             setup);
                return 0;
        }
        const char *why = setup_steps();
        if (why) {
                live.setup_error = xstrdup(why);
                print_log_tails();
                stop_daemons();
        }
        return 0;
}

int live_teardown(void **state) {
        (void) state;
        stop_daemons();
        int r = 0;
        if (live.dir && !getenv("CRIC_TEST_KEEP"))
                r = testlib_rmtree(live.dir);
        free(live.dir);
        free(live.scripts);
        free(live.setup_error);
        free(live.layer_digest);
        free(live.layer);
        free(live.manifest);
        free(live.certs);
        free(live.certs_empty);
        free(live.certs_insecure);
        memset(&live, 0, sizeof(live));
        return r;
}
