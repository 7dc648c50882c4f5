/* The one table of settings. Loading, command-line overrides and `cricd config` all walk
 * it, so a setting documented in the sample config is exactly a setting the loader knows,
 * with the default it really has. To add a setting: add the field to struct cric_config,
 * add a row here, and (if it gets a flag) a row in daemon/flags.c. */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "util/xalloc.h"

#define CFG(field) offsetof(struct cric_config, field)
#define RT(field)  offsetof(struct cric_runtime_handler, field)

static const char *const no_strings[] = {NULL};
static const char *const default_plugin_dirs[] = {"/opt/cni/bin", "/usr/lib/cni", NULL};
static const char *const default_hooks_dirs[] = {"/usr/share/containers/oci/hooks.d", NULL};
static const char *const default_cdi_spec_dirs[] = {"/etc/cdi", "/var/run/cdi", NULL};
static const char *const runtime_types[] = {"oci", NULL};
/* CRI-O's default capabilities (src/oci/spec_caps.c has the same set). */
static const char *const default_capabilities[] = {
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL", NULL,
};
static const char *const default_allowed_devices[] = {"/dev/fuse", "/dev/net/tun", NULL};

const struct config_table_desc config_tables[] = {
        {"cric", "Paths, logging and storage of the daemon."},
        {"cric.api", "The CRI gRPC server and the streaming server (exec, attach, port-forward)."},
        {"cric.runtime", "OCI runtimes and cgroups."},
        {"cric.image", "Images and registries."},
        {"cric.network", "Pod networking through CNI plugins."},
        {"cric.metrics", "The Prometheus metrics endpoint (GET /metrics)."},
};
const size_t config_n_tables = sizeof(config_tables) / sizeof(config_tables[0]);

const struct setting_desc config_settings[] = {
        /* [cric] */
        {.table = "cric",
         .key = "root",
         .type = SETTING_STRING,
         .flags = SETTING_F_ABSOLUTE,
         .offset = CFG(root),
         .def = "/var/lib/cric",
         .comment = "Directory for persistent state: image and layer storage and the metadata\n"
                    "database. Must be an absolute path."},
        {.table = "cric",
         .key = "runroot",
         .type = SETTING_STRING,
         .flags = SETTING_F_ABSOLUTE,
         .offset = CFG(runroot),
         .def = "/run/cric",
         .comment = "Directory for state that does not survive a reboot: container mounts,\n"
                    "monitor sockets and pid files. Must be an absolute path."},
        {.table = "cric",
         .key = "log_level",
         .type = SETTING_LOG_LEVEL,
         .offset = CFG(log_level),
         .def = "info",
         .comment = "Lowest level of the messages the daemon logs: error, warning, info, debug or\n"
                    "trace (\"warn\" is accepted for warning; \"fatal\" and \"panic\" for error)."},
        {.table = "cric",
         .key = "log_format",
         .type = SETTING_LOG_FORMAT,
         .offset = CFG(log_format),
         .def = "text",
         .comment = "Format of the daemon log on stderr: text or json."},
        {.table = "cric",
         .key = "storage_driver",
         .type = SETTING_STRING,
         .offset = CFG(storage_driver),
         .def = "",
         .comment = "Storage driver for image layers and container root filesystems: overlay, vfs or\n"
                    "btrfs. Empty: the driver the storage was made with, else btrfs when the\n"
                    "storage directory is on btrfs, else overlay (vfs where overlay cannot mount).\n"
                    "A store that holds layers keeps its driver: another one is refused."},
        {.table = "cric",
         .key = "storage_options",
         .type = SETTING_STRING_LIST,
         .offset = CFG(storage_options),
         .def_list = no_strings,
         .comment = "Options of the storage driver, \"<driver>.<key>=<value>\". btrfs.size=<size> (e.g.\n"
                    "\"10G\", powers of 1024) limits each container's root filesystem through a btrfs\n"
                    "qgroup when quotas are enabled on the file system. Options of another driver\n"
                    "are ignored."},

        /* [cric.api] */
        {.table = "cric.api",
         .key = "listen",
         .type = SETTING_STRING,
         .flags = SETTING_F_ABSOLUTE | SETTING_F_UNIX_URI,
         .offset = CFG(listen),
         .def = "/run/cric/cric.sock",
         .comment = "Path of the unix socket the CRI gRPC server listens on (the kubelet's\n"
                    "--container-runtime-endpoint). A \"unix://\" prefix is accepted."},
        {.table = "cric.api",
         .key = "grpc_max_msg_size",
         .type = SETTING_INTEGER,
         .offset = CFG(grpc_max_msg_size),
         .def_int = 16 * 1024 * 1024,
         .min = 4 * 1024,
         .max = 2LL * 1024 * 1024 * 1024,
         .comment = "Largest gRPC message, in bytes, the server accepts or sends\n"
                    "(4096 to 2147483648)."},
        {.table = "cric.api",
         .key = "grpc_max_workers",
         .type = SETTING_INTEGER,
         .offset = CFG(grpc_max_workers),
         .def_int = 64,
         .min = 1,
         .max = 4096,
         .comment = "Largest number of threads serving RPCs at the same time (1 to 4096)."},
        {.table = "cric.api",
         .key = "stream_address",
         .type = SETTING_STRING,
         .offset = CFG(stream_address),
         .def = "127.0.0.1",
         .comment = "IP address the streaming server (exec, attach, port-forward) binds to."},
        {.table = "cric.api",
         .key = "stream_port",
         .type = SETTING_STRING,
         .offset = CFG(stream_port),
         .def = "0",
         .comment = "Port of the streaming server; \"0\" picks a free port."},
        {.table = "cric.api",
         .key = "stream_enable_tls",
         .type = SETTING_BOOL,
         .offset = CFG(stream_enable_tls),
         .def_bool = false,
         .comment = "Serve the streaming server over TLS (https:// URLs) with stream_tls_cert and stream_tls_key."},
        {.table = "cric.api",
         .key = "stream_tls_cert",
         .type = SETTING_STRING,
         .offset = CFG(stream_tls_cert),
         .def = "",
         .comment = "PEM certificate (chain) of the streaming server; read again when the file changes."},
        {.table = "cric.api",
         .key = "stream_tls_key",
         .type = SETTING_STRING,
         .offset = CFG(stream_tls_key),
         .def = "",
         .comment = "PEM private key of stream_tls_cert; read again when the file changes."},
        {.table = "cric.api",
         .key = "stream_tls_ca",
         .type = SETTING_STRING,
         .offset = CFG(stream_tls_ca),
         .def = "",
         .comment = "PEM CA certificates: when set, clients must present a certificate they signed (the API\n"
                    "server's kubelet client certificate); read again when the file changes."},
        {.table = "cric.api",
         .key = "stream_idle_timeout",
         .type = SETTING_STRING,
         .offset = CFG(stream_idle_timeout),
         .def = "",
         .comment = "How long an exec, attach or port-forward session may go without traffic before it is "
                    "closed, as a duration (\"4h\", \"30m\", \"90s\"); \"\" or \"0\": no limit."},

        /* [cric.runtime] */
        {.table = "cric.runtime",
         .key = "default_runtime",
         .type = SETTING_STRING,
         .flags = SETTING_F_NONEMPTY,
         .offset = CFG(default_runtime),
         .def = "crun",
         .comment = "Runtime handler used when a pod names none. Must be one of the runtimes\n"
                    "configured below."},
        {.table = "cric.runtime",
         .key = "cgroup_manager",
         .type = SETTING_CGROUP_MANAGER,
         .offset = CFG(cgroup_manager),
         .def = "cgroupfs",
         .comment = "How container cgroups are created: cgroupfs (directly in /sys/fs/cgroup) or\n"
                    "systemd (as transient units). Must match the kubelet's --cgroup-driver."},
        {.table = "cric.runtime",
         .key = "hooks_dir",
         .type = SETTING_STRING_LIST,
         .offset = CFG(hooks_dir),
         .def_list = default_hooks_dirs,
         .comment = "Directories of OCI hook files (oci-hooks(5), *.json, version 1.0.0), read at\n"
                    "every container creation; a missing directory is skipped. A file in a later\n"
                    "directory masks the file of the same name in an earlier one. Invalid files\n"
                    "are logged and skipped."},
        {.table = "cric.runtime",
         .key = "cdi_spec_dirs",
         .type = SETTING_STRING_LIST,
         .offset = CFG(cdi_spec_dirs),
         .def_list = default_cdi_spec_dirs,
         .comment = "Directories of Container Device Interface specs (*.json, *.yaml) that describe the devices\n"
                    "containers ask for by name (the CRI's CDI devices, cdi.k8s.io/ annotations); a\n"
                    "later directory wins over an earlier one for the same device."},
        {.table = "cric.runtime",
         .key = "log_size_max",
         .type = SETTING_INTEGER,
         .flags = SETTING_F_NEGATIVE_IS_OFF,
         .offset = CFG(log_size_max),
         .def_int = -1,
         .min = 8192,
         .max = INT64_MAX,
         .comment = "Largest size in bytes of a container's log file: when the next entry would pass it,\n"
                    "the file is truncated and writing starts over (as conmon does). Negative: no\n"
                    "limit; otherwise at least 8192."},
        {.table = "cric.runtime",
         .key = "log_to_journald",
         .type = SETTING_BOOL,
         .offset = CFG(log_to_journald),
         .def_bool = false,
         .comment = "Also send container output to the systemd journal (CONTAINER_ID, CONTAINER_NAME,\n"
                    "POD, NAMESPACE fields; PRIORITY 6 for stdout, 3 for stderr)."},
        {.table = "cric.runtime",
         .key = "exec_native",
         .type = SETTING_BOOL,
         .offset = CFG(exec_native),
         .def_bool = true,
         .comment = "Run ExecSync and Exec commands by joining the container from cricd (its cgroups,\n"
                    "namespaces, user, capabilities, seccomp filter and other process settings), as\n"
                    "`crun exec` does, without starting the OCI runtime. Used for handlers of type\n"
                    "\"oci\" running crun or runc; a container with a user namespace, a seccomp\n"
                    "notifier or crun annotations still goes through `<runtime> exec`. false: always\n"
                    "the runtime."},
        {.table = "cric.runtime",
         .key = "start_native",
         .type = SETTING_BOOL,
         .offset = CFG(start_native),
         .def_bool = true,
         .comment = "Start a created container (StartContainer, and a pod's infra process) the way\n"
                    "`crun start` and `runc start` do, by releasing its init through the runtime's\n"
                    "exec.fifo, without running the runtime a second time. Used for handlers running\n"
                    "crun or runc with a runtime_root; a container with a poststart hook, or one the\n"
                    "FIFO does not release, still gets `<runtime> start`. false: always the runtime."},
        /* node settings of CRI-O's [crio.runtime], same names (src/oci/spec_node.c) */
        {.table = "cric.runtime",
         .key = "default_capabilities",
         .type = SETTING_STRING_LIST,
         .offset = CFG(default_capabilities),
         .def_list = default_capabilities,
         .comment = "Capabilities every non-privileged container starts with, before the CRI's add\n"
                    "and drop (names with or without \"CAP_\", or \"ALL\"). The default is CRI-O's set."},
        {.table = "cric.runtime",
         .key = "default_sysctls",
         .type = SETTING_STRING_LIST,
         .offset = CFG(default_sysctls),
         .def_list = no_strings,
         .comment = "Sysctls set in every pod, as \"name=value\"; a pod's own sysctl of the same name\n"
                    "wins. Namespaced sysctls only (net.*, kernel.shm*, kernel.msg*, kernel.sem,\n"
                    "fs.mqueue.*); net.* ones are left out of host-network pods. Default: none."},
        {.table = "cric.runtime",
         .key = "default_ulimits",
         .type = SETTING_STRING_LIST,
         .offset = CFG(default_ulimits),
         .def_list = no_strings,
         .comment = "Resource limits of every container's process, as \"name=soft:hard\" or\n"
                    "\"name=value\" (e.g. \"nofile=1024:2048\"; names as ulimit(1): nofile, nproc,\n"
                    "core, memlock, stack, ...). Default: none (the runtime's)."},
        {.table = "cric.runtime",
         .key = "pids_limit",
         .type = SETTING_INTEGER,
         .offset = CFG(pids_limit),
         .def_int = -1,
         .min = -1,
         .max = INT64_MAX,
         .comment = "Largest number of processes in a container (its pids cgroup limit) unless the\n"
                    "container sets pids.max itself; -1 or 0: unlimited (the default)."},
        {.table = "cric.runtime",
         .key = "default_mounts_file",
         .type = SETTING_STRING,
         .offset = CFG(default_mounts_file),
         .def = "",
         .comment = "File of \"/src:/dst\" lines, host paths bind-mounted read-only into every\n"
                    "container (a container's own mount at dst wins). When set the file must exist\n"
                    "at start. Default \"\": none."},
        {.table = "cric.runtime",
         .key = "absent_mount_sources_to_reject",
         .type = SETTING_STRING_LIST,
         .offset = CFG(absent_mount_sources_to_reject),
         .def_list = no_strings,
         .comment = "Host paths that a container mount must not create: when a mount's host path is\n"
                    "one of these and does not exist, CreateContainer fails instead. Default: none."},
        {.table = "cric.runtime",
         .key = "seccomp_profile",
         .type = SETTING_STRING,
         .offset = CFG(seccomp_profile),
         .def = "",
         .comment = "JSON seccomp profile used for RuntimeDefault instead of the built-in one;\n"
                    "checked at start. Default \"\": the built-in profile."},
        {.table = "cric.runtime",
         .key = "allowed_devices",
         .type = SETTING_STRING_LIST,
         .offset = CFG(allowed_devices),
         .def_list = default_allowed_devices,
         .comment = "Host devices a container may ask for with the io.kubernetes.cri-o.Devices\n"
                    "annotation (\"/dev/host[:/dev/ctr[:rwm]]\", comma-separated), which takes effect\n"
                    "only for runtime handlers whose allowed_annotations list it."},
        {.table = "cric.runtime",
         .key = "additional_devices",
         .type = SETTING_STRING_LIST,
         .offset = CFG(additional_devices),
         .def_list = no_strings,
         .comment = "Host devices given to every container, as \"/dev/host[:/dev/ctr[:rwm]]\"\n"
                    "(permissions default to rwm); checked at start. Default: none."},
        {.table = "cric.runtime",
         .key = "device_ownership_from_security_context",
         .type = SETTING_BOOL,
         .offset = CFG(device_ownership_from_security_context),
         .def_bool = false,
         .comment = "Give the devices a container asks for the owner of its RunAsUser and\n"
                    "RunAsGroup instead of the host device node's owner."},
        {.table = "cric.runtime",
         .key = "apparmor_profile",
         .type = SETTING_STRING,
         .flags = SETTING_F_NONEMPTY,
         .offset = CFG(apparmor_profile),
         .def = "cric-default",
         .comment = "AppArmor profile of RuntimeDefault containers where AppArmor is enabled (CRI-O's\n"
                    "crio-default); it must be loaded on the host."},
        {.table = "cric.runtime",
         .key = "selinux",
         .type = SETTING_BOOL,
         .offset = CFG(selinux),
         .def_bool = false,
         .comment = "Label container processes and mounts where SELinux is enabled (the CRI's\n"
                    "SELinux options, defaults container_t / container_file_t); false: no labels,\n"
                    "the CRI's SELinux options ignored."},

        /* [cric.image] */
        {.table = "cric.image",
         .key = "pause_image",
         .type = SETTING_STRING,
         .offset = CFG(pause_image),
         .def = "registry.k8s.io/pause:3.10",
         .comment = "Kept for compatibility with CRI-O configurations and reported to the\n"
                    "kubelet; cric does not run a pause image."},
        {.table = "cric.image",
         .key = "pause_command",
         .type = SETTING_STRING,
         .flags = SETTING_F_ABSOLUTE,
         .offset = CFG(pause_command),
         .def = "/usr/libexec/cric/cric-pause",
         .comment = "Path of cric-pause, the init process of pods that share a PID namespace."},
        {.table = "cric.image",
         .key = "registries_conf",
         .type = SETTING_STRING,
         .offset = CFG(registries_conf),
         .def = "/etc/containers/registries.conf",
         .comment = "containers-registries.conf(5) file: search registries, mirrors, blocked\n"
                    "and insecure registries."},
        {.table = "cric.image",
         .key = "global_auth_file",
         .type = SETTING_STRING,
         .offset = CFG(global_auth_file),
         .def = "",
         .comment = "Registry credentials (containers-auth.json(5) format) used for every pull\n"
                    "that brings none of its own; empty: none."},
        {.table = "cric.image",
         .key = "certs_dir",
         .type = SETTING_STRING,
         .flags = SETTING_F_NONEMPTY,
         .offset = CFG(certs_dir),
         .def = "/etc/containers/certs.d",
         .comment = "Per-registry TLS files: <certs_dir>/<host:port>/*.crt are trusted CAs,\n"
                    "*.cert + *.key a client certificate (containers-certs.d(5))."},
        {.table = "cric.image",
         .key = "pinned_images",
         .type = SETTING_STRING_LIST,
         .offset = CFG(pinned_images),
         .def_list = no_strings,
         .comment = "Images the kubelet's image garbage collection must keep: names, ids or\n"
                    "shell patterns (fnmatch) matched against an image's tags and id."},
        {.table = "cric.image",
         .key = "insecure_registries",
         .type = SETTING_STRING_LIST,
         .offset = CFG(insecure_registries),
         .def_list = no_strings,
         .comment = "Registries reached without TLS verification, plain HTTP allowed (as insecure =\n"
                    "true in registries_conf): \"host[:port]\" as in image names, or a CIDR\n"
                    "(\"10.0.0.0/8\") holding the registry's IP address; read at start. Default: none."},
        {.table = "cric.image",
         .key = "pull_in_helper",
         .type = SETTING_BOOL,
         .offset = CFG(pull_in_helper),
         .def_bool = true,
         .comment = "Run each image pull in a cric-pull helper process (found next to cricd or in\n"
                    "libexecdir/cric), cricd keeping the claims on layers and every commit to the\n"
                    "store: the download and unpack libraries and their buffers never grow the\n"
                    "daemon. false, or no cric-pull found: pulls run inside cricd. Read at start."},
        {.table = "cric.image",
         .key = "max_parallel_downloads",
         .type = SETTING_INTEGER,
         .offset = CFG(max_parallel_downloads),
         .def_int = 3,
         .min = 1,
         .max = 64,
         .comment = "Layers of one image downloaded and unpacked at the same time (1 to 64)."},
        {.table = "cric.image",
         .key = "signature_policy",
         .type = SETTING_STRING,
         .offset = CFG(signature_policy),
         .def = CRIC_DEFAULT_SIGNATURE_POLICY,
         .comment = "Signature policy every pull is checked against (containers-policy.json(5)):\n"
                    "insecureAcceptAnything, reject, signedBy (GPG keys, signatures from the\n"
                    "lookaside stores of registries_d) and sigstoreSigned (public keys, cosign\n"
                    "attachments). A rejected pull fails with SignatureValidationFailed and stores\n"
                    "nothing. \"\": no policy. When the default file is missing every image is\n"
                    "accepted (and that is logged); another missing file fails every pull."},
        {.table = "cric.image",
         .key = "signature_policy_dir",
         .type = SETTING_STRING,
         .offset = CFG(signature_policy_dir),
         .def = "/etc/cric/policies",
         .comment = "Per-namespace policies: a pull for a pod of namespace NS uses <dir>/NS.json\n"
                    "when it exists, signature_policy otherwise."},
        {.table = "cric.image",
         .key = "registries_d",
         .type = SETTING_STRING,
         .flags = SETTING_F_ABSOLUTE,
         .offset = CFG(registries_d),
         .def = "/etc/containers/registries.d",
         .comment = "registries.d(5) directory: the lookaside stores of GPG signatures and\n"
                    "use-sigstore-attachments, per registry, namespace or repository."},

        /* [cric.network] */
        {.table = "cric.network",
         .key = "network_dir",
         .type = SETTING_STRING,
         .flags = SETTING_F_NONEMPTY,
         .offset = CFG(network_dir),
         .def = "/etc/cni/net.d",
         .comment = "Directory of CNI network configurations (.conflist, .conf, .json). It is watched:\n"
                    "configurations added or removed take effect without a restart."},
        {.table = "cric.network",
         .key = "default_network",
         .type = SETTING_STRING,
         .offset = CFG(default_network),
         .def = "",
         .comment = "Name of the CNI network pods join; empty: the first in lexical file order."},
        {.table = "cric.network",
         .key = "plugin_dirs",
         .type = SETTING_STRING_LIST,
         .offset = CFG(plugin_dirs),
         .def_list = default_plugin_dirs,
         .comment = "Directories searched, in order, for CNI plugin binaries."},

        /* [cric.metrics] */
        {.table = "cric.metrics",
         .key = "enable_metrics",
         .type = SETTING_BOOL,
         .offset = CFG(enable_metrics),
         .def_bool = false,
         .comment = "Serve Prometheus metrics (GET /metrics) on metrics_host:metrics_port and metrics_socket."},
        {.table = "cric.metrics",
         .key = "metrics_host",
         .type = SETTING_STRING,
         .offset = CFG(metrics_host),
         .def = "127.0.0.1",
         .comment = "IP address the metrics endpoint binds to; empty: no TCP endpoint (metrics_socket only)."},
        {.table = "cric.metrics",
         .key = "metrics_port",
         .type = SETTING_INTEGER,
         .offset = CFG(metrics_port),
         .def_int = 9090,
         .min = 0,
         .max = 65535,
         .comment = "TCP port of the metrics endpoint (0: a free one)."},
        {.table = "cric.metrics",
         .key = "metrics_socket",
         .type = SETTING_STRING,
         .offset = CFG(metrics_socket),
         .def = "",
         .comment = "Path of a unix socket that serves the metrics too; empty: none."},
        {.table = "cric.metrics",
         .key = "metrics_cert",
         .type = SETTING_STRING,
         .offset = CFG(metrics_cert),
         .def = "",
         .comment = "PEM certificate of the metrics endpoint: with metrics_key, it serves HTTPS."},
        {.table = "cric.metrics",
         .key = "metrics_key",
         .type = SETTING_STRING,
         .offset = CFG(metrics_key),
         .def = "",
         .comment = "PEM private key of metrics_cert."},
        {.table = "cric.metrics",
         .key = "metrics_collectors",
         .type = SETTING_STRING_LIST,
         .offset = CFG(metrics_collectors),
         .def_list = no_strings,
         .comment = "Metrics served, by name with or without the cric_ prefix (operations_total,\n"
                    "process_open_fds, ...); empty: all of them."},
};
const size_t config_n_settings = sizeof(config_settings) / sizeof(config_settings[0]);

const struct setting_desc config_runtime_settings[] = {
        {.key = "runtime_path",
         .type = SETTING_STRING,
         .offset = RT(runtime_path),
         .def = "",
         .comment = "Path of the OCI runtime binary; empty: the handler name looked up in $PATH."},
        {.key = "runtime_type",
         .type = SETTING_ENUM,
         .flags = SETTING_F_EMPTY_IS_DEFAULT,
         .offset = RT(runtime_type),
         .def = "oci",
         .allowed = runtime_types,
         .comment = "Kind of runtime; only \"oci\" is supported (empty means oci)."},
        {.key = "runtime_root",
         .type = SETTING_STRING,
         .offset = RT(runtime_root),
         .def = "",
         .comment = "Directory the runtime keeps container state in (its --root); empty: the\n"
                    "runtime's own default."},
        {.key = "allowed_annotations",
         .type = SETTING_STRING_LIST,
         .offset = RT(allowed_annotations),
         .def_list = no_strings,
         .comment = "Annotation prefixes this handler honours; cric acts on\n"
                    "\"io.kubernetes.cri-o.Devices\" (devices from allowed_devices) and\n"
                    "\"io.kubernetes.cri-o.ShmSize\" (the size of the pod's /dev/shm, e.g. \"128Mi\").\n"
                    "Not allowed, they are ignored (logged at debug). Default: none."},
        {.key = "monitor_cgroup",
         .type = SETTING_STRING,
         .offset = RT(monitor_cgroup),
         .def = "",
         .comment = "Cgroup the cric-monitor of each container goes to: a systemd slice\n"
                    "(\"system.slice\"; \"a-b.slice\" is /a.slice/a-b.slice), a path below the cgroup\n"
                    "roots, \"pod\" for the pod's cgroup, or \"\" for cricd's own cgroup (the default)."},
};
const size_t config_n_runtime_settings = sizeof(config_runtime_settings) / sizeof(config_runtime_settings[0]);

const char *const config_runtimes_comment =
        "OCI runtimes, one [" CONFIG_RUNTIMES_TABLE ".<name>] table each; <name> is the\n"
        "CRI runtime handler that RuntimeClass objects refer to. A drop-in may add a\n"
        "runtime or change single fields of one defined earlier.";

const struct runtime_default config_default_runtimes[] = {
        {"crun", "/usr/bin/crun", "oci", "/run/crun"},
        {"runc", "/usr/sbin/runc", "oci", "/run/runc"},
};
const size_t config_n_default_runtimes = sizeof(config_default_runtimes) / sizeof(config_default_runtimes[0]);

const struct setting_desc *config_setting_lookup(const char *table, const char *key) {
        for (size_t i = 0; i < config_n_settings; i++)
                if (!strcmp(config_settings[i].table, table) && !strcmp(config_settings[i].key, key))
                        return &config_settings[i];
        return NULL;
}

const struct setting_desc *config_setting_find(const char *full_key) {
        const char *dot = full_key ? strrchr(full_key, '.') : NULL;
        if (!dot)
                return NULL;
        for (size_t i = 0; i < config_n_settings; i++) {
                const struct setting_desc *d = &config_settings[i];
                size_t tlen = strlen(d->table);
                if ((size_t) (dot - full_key) == tlen && !strncmp(full_key, d->table, tlen) && !strcmp(dot + 1, d->key))
                        return d;
        }
        return NULL;
}

const struct setting_desc *config_runtime_setting_find(const char *key) {
        for (size_t i = 0; i < config_n_runtime_settings; i++)
                if (!strcmp(config_runtime_settings[i].key, key))
                        return &config_runtime_settings[i];
        return NULL;
}

bool config_table_is_known(const char *path) {
        for (size_t i = 0; i < config_n_tables; i++)
                if (!strcmp(config_tables[i].path, path))
                        return true;
        return false;
}

void config_setting_clear(const struct setting_desc *d, void *base) {
        void *f = setting_field(d, base);
        switch (d->type) {
        case SETTING_STRING:
        case SETTING_ENUM:
                free(*(char **) f);
                *(char **) f = NULL;
                break;
        case SETTING_STRING_LIST: *(char ***) f = strv_free(*(char ***) f); break;
        default: break;
        }
}

void config_setting_set_default(const struct setting_desc *d, void *base) {
        void *f = setting_field(d, base);
        config_setting_clear(d, base);
        switch (d->type) {
        case SETTING_STRING:
        case SETTING_ENUM: *(char **) f = xstrdup(d->def); break;
        case SETTING_STRING_LIST: *(char ***) f = strv_copy((char *const *) d->def_list); break;
        case SETTING_INTEGER: *(int64_t *) f = d->def_int; break;
        case SETTING_BOOL: *(bool *) f = d->def_bool; break;
        case SETTING_LOG_LEVEL: *(enum log_level *) f = log_level_from_string(d->def); break;
        case SETTING_LOG_FORMAT: *(enum log_format *) f = log_format_from_string(d->def); break;
        case SETTING_CGROUP_MANAGER: *(enum cric_cgroup_manager *) f = cgroup_manager_from_string(d->def); break;
        default: break;
        }
}
