/* CRI container and pod messages -> the runtime's inputs: every field mapping, each
 * refusal, stop signal names, and full configs accepted by oci_spec_generate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "../oci/spec_test.h"
#include "server/convert.h"

/* A container config "app" and a pod config "web" (namespace "default"), each with its
 * Linux part and security context present but empty; tests fill in what they look at. */
struct fx {
        Runtime__V1__ContainerConfig c;
        Runtime__V1__ContainerMetadata cmd;
        Runtime__V1__LinuxContainerConfig clc;
        Runtime__V1__LinuxContainerSecurityContext csc;
        Runtime__V1__LinuxContainerResources res;
        Runtime__V1__PodSandboxConfig p;
        Runtime__V1__PodSandboxMetadata pmd;
        Runtime__V1__LinuxPodSandboxConfig plc;
        Runtime__V1__LinuxSandboxSecurityContext psc;
        struct arena a;
        struct oci_container_input in;
        struct pod_config pc;
        struct oci_sandbox sb; /* what the runtime makes of pc */
        struct cric_error *err;
};

static void fx_init(struct fx *f) {
        memset(f, 0, sizeof(*f));
        runtime__v1__container_config__init(&f->c);
        runtime__v1__container_metadata__init(&f->cmd);
        runtime__v1__linux_container_config__init(&f->clc);
        runtime__v1__linux_container_security_context__init(&f->csc);
        runtime__v1__linux_container_resources__init(&f->res);
        f->cmd.name = "app";
        f->c.metadata = &f->cmd;
        f->c.linux = &f->clc;
        f->clc.security_context = &f->csc;
        f->clc.resources = &f->res;
        runtime__v1__pod_sandbox_config__init(&f->p);
        runtime__v1__pod_sandbox_metadata__init(&f->pmd);
        runtime__v1__linux_pod_sandbox_config__init(&f->plc);
        runtime__v1__linux_sandbox_security_context__init(&f->psc);
        f->pmd.name = "web";
        f->pmd.namespace_ = "default";
        f->pmd.uid = "uid-1";
        f->p.metadata = &f->pmd;
        f->p.linux = &f->plc;
        f->plc.security_context = &f->psc;
}

static void fx_clear(struct fx *f) {
        arena_clear(&f->a);
        f->err = cric_error_free(f->err);
}

static int fx_setup(void **state) {
        struct fx *f = xmalloc(sizeof(*f));
        fx_init(f);
        *state = f;
        return 0;
}

static int fx_teardown(void **state) {
        struct fx *f = *state;
        fx_clear(f);
        free(f);
        return 0;
}

static int ctr(struct fx *f) {
        f->err = cric_error_free(f->err);
        return ctr_input_from_cri(&f->c, &f->a, &f->in, &f->err);
}

static void ctr_ok(struct fx *f) {
        if (ctr(f) < 0)
                fail_msg("ctr_input_from_cri: %s", f->err->msg);
        assert_null(f->err);
}

static int pod(struct fx *f) {
        f->err = cric_error_free(f->err);
        return convert_pod_config(&f->p, "", &f->a, &f->pc, &f->err);
}

static void pod_ok(struct fx *f) {
        if (pod(f) < 0)
                fail_msg("convert_pod_config: %s", f->err->msg);
        assert_null(f->err);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

/* ---- arena ---- */

static void test_arena_keep_and_clear(void **state) {
        (void) state;
        struct arena a = {0};
        arena_clear(&a);
        for (int i = 0; i < 100; i++) {
                char *p = xasprintf("%d", i);
                assert_ptr_equal(arena_keep(&a, p), p);
        }
        assert_int_equal(a.n, 100);
        assert_string_equal(a.ptrs[42], "42");
        arena_clear(&a);
        assert_null(a.ptrs);
        assert_int_equal(a.n, 0);
        assert_int_equal(a.cap, 0);
        arena_keep(&a, xstrdup("again"));
        arena_clear(&a);
}

/* ---- container: process ---- */

static void test_ctr_minimal(void **state) {
        struct fx *f = *state;
        f->c.linux = NULL;
        f->in.tty = true; /* overwritten */
        ctr_ok(f);
        assert_string_equal(f->in.name, "app");
        assert_null(f->in.id);
        assert_null(f->in.rootfs);
        assert_null(f->in.image);
        assert_null(f->in.sandbox);
        assert_int_equal(f->in.n_command + f->in.n_args + f->in.n_env + f->in.n_annotations, 0);
        assert_int_equal(f->in.n_mounts + f->in.n_devices, 0);
        assert_null(f->in.working_dir);
        assert_false(f->in.tty);
        assert_false(f->in.security.is_privileged);
        assert_false(f->in.security.seccomp.is_set);
        assert_false(f->in.security.apparmor.is_set);
        assert_int_equal(f->in.security.ns.pid, OCI_NS_POD);
        assert_int_equal(f->in.resources.cpu_shares, 0);
        assert_null(f->in.resources.cpuset_cpus);
}

static void test_ctr_process_fields(void **state) {
        struct fx *f = *state;
        char *cmd[] = {"/bin/sh", "-c"}, *args[] = {"echo hi"};
        f->c.command = cmd;
        f->c.n_command = 2;
        f->c.args = args;
        f->c.n_args = 1;
        f->c.working_dir = "/work";
        f->c.tty = true;
        ctr_ok(f);
        assert_ptr_equal(f->in.command, cmd);
        assert_int_equal(f->in.n_command, 2);
        assert_ptr_equal(f->in.args, args);
        assert_int_equal(f->in.n_args, 1);
        assert_string_equal(f->in.working_dir, "/work");
        assert_true(f->in.tty);
}

static void test_ctr_needs_metadata_name(void **state) {
        struct fx *f = *state;
        assert_contains(testlib_error_is(ctr_input_from_cri(NULL, &f->a, &f->in, &f->err), &f->err, CRIC_E_INVALID),
                        "metadata");
        f->err = cric_error_free(f->err);
        f->cmd.name = "";
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "no metadata name");
        f->c.metadata = NULL;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "no metadata name");
}

static void test_ctr_env(void **state) {
        struct fx *f = *state;
        Runtime__V1__KeyValue e[3], *ep[3] = {&e[0], &e[1], &e[2]};
        for (int i = 0; i < 3; i++)
                runtime__v1__key_value__init(&e[i]);
        e[0].key = "FOO";
        e[0].value = (ProtobufCBinaryData){3, (uint8_t *) "bar"};
        e[1].key = "EMPTY";
        e[2].key = "EQ";
        e[2].value = (ProtobufCBinaryData){5, (uint8_t *) "a=b=c"};
        f->c.envs = ep;
        f->c.n_envs = 3;
        ctr_ok(f);
        assert_int_equal(f->in.n_env, 3);
        assert_string_equal(f->in.env[0], "FOO=bar");
        assert_string_equal(f->in.env[1], "EMPTY=");
        assert_string_equal(f->in.env[2], "EQ=a=b=c");
}

static void test_ctr_env_refused(void **state) {
        struct fx *f = *state;
        Runtime__V1__KeyValue e, *ep = &e;
        runtime__v1__key_value__init(&e);
        f->c.envs = &ep;
        f->c.n_envs = 1;
        e.key = "BAD";
        e.value = (ProtobufCBinaryData){3, (uint8_t *) "a\0b"};
        const char *msg = testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID);
        assert_contains(msg, "container \"app\"");
        assert_contains(msg, "env BAD");
        assert_contains(msg, "NUL");
        e.key = "";
        e.value = (ProtobufCBinaryData){1, (uint8_t *) "x"};
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "env name \"\"");
        e.key = "A=B";
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "env name \"A=B\"");
}

static void test_ctr_annotations(void **state) {
        struct fx *f = *state;
        Runtime__V1__ContainerConfig__AnnotationsEntry a[2], *ap[2] = {&a[0], &a[1]};
        for (int i = 0; i < 2; i++)
                runtime__v1__container_config__annotations_entry__init(&a[i]);
        a[0].key = "io.example/a";
        a[0].value = "1";
        a[1].key = "b";
        a[1].value = "";
        f->c.annotations = ap;
        f->c.n_annotations = 2;
        ctr_ok(f);
        assert_int_equal(f->in.n_annotations, 2);
        assert_string_equal(f->in.annotations[0].key, "io.example/a");
        assert_string_equal(f->in.annotations[0].value, "1");
        assert_string_equal(f->in.annotations[1].key, "b");
        assert_string_equal(f->in.annotations[1].value, "");
}

/* ---- container: mounts and devices ---- */

static void test_ctr_mounts(void **state) {
        struct fx *f = *state;
        Runtime__V1__Mount m[2], *mp[2] = {&m[0], &m[1]};
        for (int i = 0; i < 2; i++)
                runtime__v1__mount__init(&m[i]);
        m[0].container_path = "/data";
        m[0].host_path = "/srv/data";
        m[0].readonly = true;
        m[0].selinux_relabel = true;
        m[0].recursive_read_only = true;
        m[1].container_path = "/shared";
        m[1].host_path = "/mnt/shared";
        m[1].propagation = RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_BIDIRECTIONAL;
        f->c.mounts = mp;
        f->c.n_mounts = 2;
        ctr_ok(f);
        assert_int_equal(f->in.n_mounts, 2);
        const struct oci_mount *o = f->in.mounts;
        assert_string_equal(o[0].container_path, "/data");
        assert_string_equal(o[0].host_path, "/srv/data");
        assert_true(o[0].is_readonly && o[0].selinux_relabel && o[0].is_recursive_read_only);
        assert_int_equal(o[0].propagation, OCI_PROPAGATION_PRIVATE);
        assert_string_equal(o[1].container_path, "/shared");
        assert_false(o[1].is_readonly || o[1].selinux_relabel || o[1].is_recursive_read_only);
        assert_int_equal(o[1].propagation, OCI_PROPAGATION_BIDIRECTIONAL);
        m[1].propagation = RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_HOST_TO_CONTAINER;
        ctr_ok(f);
        assert_int_equal(f->in.mounts[1].propagation, OCI_PROPAGATION_HOST_TO_CONTAINER);
}

static void test_ctr_mount_refused(void **state) {
        struct fx *f = *state;
        Runtime__V1__Mount m[2], *mp[2] = {&m[0], &m[1]};
        for (int i = 0; i < 2; i++)
                runtime__v1__mount__init(&m[i]);
        m[0].container_path = "/ok";
        m[0].host_path = "/ok";
        m[1].host_path = "/srv";
        f->c.mounts = mp;
        f->c.n_mounts = 2;
        const char *msg = testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID);
        assert_contains(msg, "container \"app\": mount 1: container_path is empty");
        m[1].container_path = "/x";
        m[1].propagation = (Runtime__V1__MountPropagation) 7;
        msg = testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID);
        assert_contains(msg, "container \"app\"");
        assert_contains(msg, "mount /x: propagation: unknown value 7");
        m[1].propagation = (Runtime__V1__MountPropagation) -1;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "unknown value -1");
}

static void test_ctr_mount_image_volume(void **state) {
        struct fx *f = *state;
        Runtime__V1__Mount m, *mp = &m;
        Runtime__V1__ImageSpec img;
        runtime__v1__mount__init(&m);
        runtime__v1__image_spec__init(&img);
        img.image = "docker.io/library/busybox:latest";
        m.container_path = "/vol";
        m.image = &img;
        f->c.mounts = &mp;
        f->c.n_mounts = 1;
        ctr_ok(f);
        assert_string_equal(f->in.mounts[0].image, "docker.io/library/busybox:latest");
        assert_null(f->in.mounts[0].image_sub_path);
        m.image_sub_path = "data/sub";
        ctr_ok(f);
        assert_string_equal(f->in.mounts[0].image_sub_path, "data/sub");
        const char *bad[] = {"/abs", "..", "../x", "a/../../x", "a/.."};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                m.image_sub_path = (char *) bad[i];
                const char *msg = testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID);
                assert_contains(msg, "container \"app\"");
                assert_contains(msg, "relative path inside the image");
        }
        m.image_sub_path = "";
        img.image = "";
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "names no image");
        img.image = "docker.io/library/busybox:latest";
        m.host_path = "/srv";
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                        "host_path and image are mutually exclusive");
}

static void test_ctr_mount_idmapped(void **state) {
        struct fx *f = *state;
        Runtime__V1__Mount m, *mp = &m;
        Runtime__V1__IDMapping id, *idp = &id;
        runtime__v1__mount__init(&m);
        runtime__v1__idmapping__init(&id);
        m.container_path = "/vol";
        m.host_path = "/srv";
        m.uidmappings = &idp;
        m.n_uidmappings = 1;
        f->c.mounts = &mp;
        f->c.n_mounts = 1;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "needs both uid and gid mappings");
        m.gidmappings = &idp;
        m.n_gidmappings = 1;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "is empty or overflows");
        id = (Runtime__V1__IDMapping){.base = id.base, .container_id = 0, .host_id = 100000, .length = 65536};
        ctr_ok(f);
        assert_int_equal(f->in.mounts[0].n_uids, 1);
        assert_int_equal(f->in.mounts[0].gids[0].host_id, 100000);
}

static void test_ctr_devices(void **state) {
        struct fx *f = *state;
        Runtime__V1__Device d[2], *dp[2] = {&d[0], &d[1]};
        for (int i = 0; i < 2; i++)
                runtime__v1__device__init(&d[i]);
        d[0].container_path = "/dev/xnull";
        d[0].host_path = "/dev/null";
        d[0].permissions = "rw";
        d[1].host_path = "/dev/fuse";
        f->c.devices = dp;
        f->c.n_devices = 2;
        ctr_ok(f);
        assert_int_equal(f->in.n_devices, 2);
        assert_string_equal(f->in.devices[0].container_path, "/dev/xnull");
        assert_string_equal(f->in.devices[0].host_path, "/dev/null");
        assert_string_equal(f->in.devices[0].permissions, "rw");
        assert_null(f->in.devices[1].container_path);
        assert_string_equal(f->in.devices[1].host_path, "/dev/fuse");
        assert_null(f->in.devices[1].permissions);
}

static void test_ctr_cdi_devices(void **state) {
        struct fx *f = *state;
        Runtime__V1__CDIDevice d, *dp = &d;
        runtime__v1__cdidevice__init(&d);
        d.name = "vendor.com/gpu=0";
        f->c.cdi_devices = &dp;
        f->c.n_cdi_devices = 1;
        ctr_ok(f);
        assert_int_equal(f->in.n_cdi_devices, 1);
        assert_string_equal(f->in.cdi_devices[0], "vendor.com/gpu=0");
        d.name = "";
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "CDI device 0 has no name");
}

/* ---- resources ---- */

static void test_resources(void **state) {
        struct fx *f = *state;
        Runtime__V1__HugepageLimit h[2], *hp[2] = {&h[0], &h[1]};
        Runtime__V1__LinuxContainerResources__UnifiedEntry u, *up = &u;
        runtime__v1__hugepage_limit__init(&h[0]);
        runtime__v1__hugepage_limit__init(&h[1]);
        runtime__v1__linux_container_resources__unified_entry__init(&u);
        h[0] = (Runtime__V1__HugepageLimit){h[0].base, "2MB", 4 << 20};
        h[1] = (Runtime__V1__HugepageLimit){h[1].base, "1GB", 0};
        u.key = "memory.high";
        u.value = "1000000";
        Runtime__V1__LinuxContainerResources *r = &f->res;
        r->cpu_period = 100000;
        r->cpu_quota = 50000;
        r->cpu_shares = 512;
        r->memory_limit_in_bytes = 1 << 28;
        r->memory_swap_limit_in_bytes = 1 << 29;
        r->oom_score_adj = -998;
        r->cpuset_cpus = "0-3";
        r->cpuset_mems = "0";
        r->hugepage_limits = hp;
        r->n_hugepage_limits = 2;
        r->unified = &up;
        r->n_unified = 1;
        struct oci_resources o;
        convert_resources(r, &f->a, &o);
        assert_int_equal(o.cpu_period, 100000);
        assert_int_equal(o.cpu_quota, 50000);
        assert_int_equal(o.cpu_shares, 512);
        assert_int_equal(o.memory_limit_in_bytes, 1 << 28);
        assert_int_equal(o.memory_swap_limit_in_bytes, 1 << 29);
        assert_int_equal(o.oom_score_adj, -998);
        assert_string_equal(o.cpuset_cpus, "0-3");
        assert_string_equal(o.cpuset_mems, "0");
        assert_int_equal(o.n_hugepage_limits, 2);
        assert_string_equal(o.hugepage_limits[0].page_size, "2MB");
        assert_int_equal(o.hugepage_limits[0].limit, 4 << 20);
        assert_string_equal(o.hugepage_limits[1].page_size, "1GB");
        assert_int_equal(o.hugepage_limits[1].limit, 0);
        assert_int_equal(o.n_unified, 1);
        assert_string_equal(o.unified[0].key, "memory.high");
        assert_string_equal(o.unified[0].value, "1000000");
        /* the same through the container */
        ctr_ok(f);
        assert_int_equal(f->in.resources.cpu_shares, 512);
        assert_int_equal(f->in.resources.n_unified, 1);
}

static void test_resources_unset(void **state) {
        struct fx *f = *state;
        struct oci_resources o;
        memset(&o, 0xff, sizeof(o));
        convert_resources(NULL, &f->a, &o);
        assert_int_equal(o.cpu_period + o.cpu_quota + o.cpu_shares + o.memory_limit_in_bytes, 0);
        assert_int_equal(o.memory_swap_limit_in_bytes + o.oom_score_adj, 0);
        assert_null(o.cpuset_cpus);
        assert_null(o.hugepage_limits);
        assert_null(o.unified);
        assert_int_equal(o.n_hugepage_limits + o.n_unified, 0);
        convert_resources(&f->res, &f->a, &o); /* present but empty: "" is unset too */
        assert_null(o.cpuset_cpus);
        assert_null(o.cpuset_mems);
        assert_int_equal(f->a.n, 0);
}

/* ---- container security context ---- */

static void test_ctr_security_fields(void **state) {
        struct fx *f = *state;
        Runtime__V1__Capability caps;
        Runtime__V1__SELinuxOption se;
        runtime__v1__capability__init(&caps);
        runtime__v1__selinux_option__init(&se);
        char *add[] = {"NET_ADMIN", "CAP_SYS_TIME"}, *drop[] = {"ALL"}, *amb[] = {"NET_BIND_SERVICE"};
        char *masked[] = {"/proc/kcore"}, *ro[] = {"/proc/sys", "/proc/bus"};
        int64_t groups[] = {10, 29, 50};
        caps.add_capabilities = add;
        caps.n_add_capabilities = 2;
        caps.drop_capabilities = drop;
        caps.n_drop_capabilities = 1;
        caps.add_ambient_capabilities = amb;
        caps.n_add_ambient_capabilities = 1;
        se.user = "system_u";
        se.type = "spc_t";
        se.level = "s0:c1,c2";
        Runtime__V1__LinuxContainerSecurityContext *sc = &f->csc;
        sc->capabilities = &caps;
        sc->privileged = true;
        sc->readonly_rootfs = true;
        sc->no_new_privs = true;
        sc->selinux_options = &se;
        sc->supplemental_groups = groups;
        sc->n_supplemental_groups = 3;
        sc->supplemental_groups_policy = RUNTIME__V1__SUPPLEMENTAL_GROUPS_POLICY__Strict;
        sc->masked_paths = masked;
        sc->n_masked_paths = 1;
        sc->readonly_paths = ro;
        sc->n_readonly_paths = 2;
        ctr_ok(f);
        const struct oci_security_context *s = &f->in.security;
        assert_true(s->is_privileged && s->is_readonly_rootfs && s->no_new_privs);
        assert_ptr_equal(s->caps.add, add);
        assert_int_equal(s->caps.n_add, 2);
        assert_ptr_equal(s->caps.drop, drop);
        assert_int_equal(s->caps.n_drop, 1);
        assert_ptr_equal(s->caps.add_ambient, amb);
        assert_int_equal(s->caps.n_add_ambient, 1);
        assert_ptr_equal(s->supplemental_groups, groups);
        assert_int_equal(s->n_supplemental_groups, 3);
        assert_int_equal(s->groups_policy, OCI_GROUPS_STRICT);
        assert_ptr_equal(s->masked_paths, masked);
        assert_int_equal(s->n_masked_paths, 1);
        assert_ptr_equal(s->readonly_paths, ro);
        assert_int_equal(s->n_readonly_paths, 2);
        assert_string_equal(s->selinux.user, "system_u");
        assert_null(s->selinux.role);
        assert_string_equal(s->selinux.type, "spc_t");
        assert_string_equal(s->selinux.level, "s0:c1,c2");
        assert_false(s->has_run_as_user || s->has_run_as_group);
        assert_null(s->run_as_username);
}

static void test_ctr_security_empty_context(void **state) {
        struct fx *f = *state;
        f->clc.security_context = NULL;
        ctr_ok(f);
        const struct oci_security_context *s = &f->in.security;
        assert_false(s->is_privileged || s->is_readonly_rootfs || s->no_new_privs);
        assert_int_equal(s->caps.n_add + s->caps.n_drop + s->n_masked_paths + s->n_supplemental_groups, 0);
        assert_int_equal(s->groups_policy, OCI_GROUPS_MERGE);
        assert_null(s->selinux.user);
        f->clc.security_context = &f->csc;
        ctr_ok(f);
        assert_null(f->in.security.seccomp_profile_path);
        assert_null(f->in.security.apparmor_profile);
}

static void test_ctr_run_as_ids(void **state) {
        struct fx *f = *state;
        Runtime__V1__Int64Value uid, gid;
        runtime__v1__int64_value__init(&uid);
        runtime__v1__int64_value__init(&gid);
        f->csc.run_as_user = &uid; /* value 0 is root, not "unset" */
        ctr_ok(f);
        assert_true(f->in.security.has_run_as_user);
        assert_int_equal(f->in.security.run_as_user, 0);
        assert_false(f->in.security.has_run_as_group);
        uid.value = 1000;
        gid.value = 50;
        f->csc.run_as_group = &gid;
        ctr_ok(f);
        assert_true(f->in.security.has_run_as_user && f->in.security.has_run_as_group);
        assert_int_equal(f->in.security.run_as_user, 1000);
        assert_int_equal(f->in.security.run_as_group, 50);
        f->csc.run_as_user = NULL;
        f->csc.run_as_username = "alice";
        ctr_ok(f);
        assert_false(f->in.security.has_run_as_user);
        assert_string_equal(f->in.security.run_as_username, "alice");
        assert_true(f->in.security.has_run_as_group);
}

static void test_ctr_run_as_group_without_user(void **state) {
        struct fx *f = *state;
        Runtime__V1__Int64Value gid;
        runtime__v1__int64_value__init(&gid);
        gid.value = 50;
        f->csc.run_as_group = &gid;
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": run_as_group needs run_as_user or run_as_username");
        f->csc.run_as_username = ""; /* empty is unset */
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "run_as_group needs");
}

static void test_ctr_run_as_user_and_username(void **state) {
        struct fx *f = *state;
        Runtime__V1__Int64Value uid;
        runtime__v1__int64_value__init(&uid);
        f->csc.run_as_user = &uid;
        f->csc.run_as_username = "alice";
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": run_as_user and run_as_username are mutually exclusive");
}

static void test_ctr_namespaces(void **state) {
        struct fx *f = *state;
        Runtime__V1__NamespaceOption ns;
        runtime__v1__namespace_option__init(&ns);
        ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
        ns.pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
        ns.ipc = RUNTIME__V1__NAMESPACE_MODE__POD;
        f->csc.namespace_options = &ns;
        ctr_ok(f);
        assert_int_equal(f->in.security.ns.network, OCI_NS_NODE);
        assert_int_equal(f->in.security.ns.pid, OCI_NS_CONTAINER);
        assert_int_equal(f->in.security.ns.ipc, OCI_NS_POD);
        assert_null(f->in.security.ns.target_pid_ns_path);
        ns.pid = RUNTIME__V1__NAMESPACE_MODE__TARGET;
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": namespace_options.pid is TARGET but target_id is empty");
        ns.target_id = "abc";
        ctr_ok(f);
        assert_int_equal(f->in.security.ns.pid, OCI_NS_TARGET);
        assert_null(f->in.security.ns.target_pid_ns_path); /* the caller's */
}

static void test_ctr_namespace_mode_invalid(void **state) {
        struct fx *f = *state;
        Runtime__V1__NamespaceOption ns;
        runtime__v1__namespace_option__init(&ns);
        f->csc.namespace_options = &ns;
        ns.network = (Runtime__V1__NamespaceMode) 4;
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": namespace_options.network: unknown value 4");
        ns.network = 0;
        ns.pid = (Runtime__V1__NamespaceMode) -2;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "namespace_options.pid: unknown value -2");
        ns.pid = 0;
        ns.ipc = (Runtime__V1__NamespaceMode) 99;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "namespace_options.ipc: unknown value 99");
}

static void test_ctr_user_namespace(void **state) {
        struct fx *f = *state;
        Runtime__V1__NamespaceOption ns;
        Runtime__V1__UserNamespace u;
        Runtime__V1__IDMapping id, *idp = &id;
        runtime__v1__namespace_option__init(&ns);
        runtime__v1__user_namespace__init(&u);
        runtime__v1__idmapping__init(&id);
        f->csc.namespace_options = &ns;
        ns.userns_options = &u;
        ctr_ok(f); /* POD without mappings: what older kubelets mean by none */
        u.mode = RUNTIME__V1__NAMESPACE_MODE__NODE;
        ctr_ok(f);
        u.mode = RUNTIME__V1__NAMESPACE_MODE__POD;
        u.uids = &idp;
        u.n_uids = 1;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "mapping 0:0:0 is empty");
        id = (Runtime__V1__IDMapping){.base = id.base, .container_id = 0, .host_id = 100000, .length = 65536};
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "gids: no mapping");
        u.gids = &idp;
        u.n_gids = 1;
        ctr_ok(f);
        assert_int_equal(f->in.security.ns.n_uids, 1);
        assert_int_equal(f->in.security.ns.uids[0].host_id, 100000);
        assert_int_equal(f->in.security.ns.gids[0].length, 65536);
        id.container_id = 1; /* root must be mapped */
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "must map user and group 0");
        u.mode = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "userns_options.mode must be POD or NODE");
        u.mode = (Runtime__V1__NamespaceMode) 9;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "userns_options.mode: unknown value 9");
}

static void test_ctr_security_profiles(void **state) {
        struct fx *f = *state;
        Runtime__V1__SecurityProfile sp, ap;
        runtime__v1__security_profile__init(&sp);
        runtime__v1__security_profile__init(&ap);
        f->csc.seccomp = &sp; /* RuntimeDefault, explicitly */
        ctr_ok(f);
        assert_true(f->in.security.seccomp.is_set);
        assert_int_equal(f->in.security.seccomp.type, OCI_PROFILE_RUNTIME_DEFAULT);
        assert_null(f->in.security.seccomp.localhost_ref);
        assert_false(f->in.security.apparmor.is_set);
        sp.profile_type = RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost;
        sp.localhost_ref = "/var/lib/kubelet/seccomp/audit.json";
        ap.profile_type = RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Unconfined;
        f->csc.apparmor = &ap;
        ctr_ok(f);
        assert_int_equal(f->in.security.seccomp.type, OCI_PROFILE_LOCALHOST);
        assert_string_equal(f->in.security.seccomp.localhost_ref, "/var/lib/kubelet/seccomp/audit.json");
        assert_true(f->in.security.apparmor.is_set);
        assert_int_equal(f->in.security.apparmor.type, OCI_PROFILE_UNCONFINED);
        ap.profile_type = (Runtime__V1__SecurityProfile__ProfileType) 3;
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": apparmor.profile_type: unknown value 3");
        ap.profile_type = 0;
        sp.profile_type = (Runtime__V1__SecurityProfile__ProfileType) -1;
        assert_contains(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID), "seccomp.profile_type: unknown value -1");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void test_ctr_deprecated_profiles(void **state) {
        struct fx *f = *state;
        f->csc.seccomp_profile_path = "localhost//etc/seccomp.json";
        f->csc.apparmor_profile = "runtime/default";
        ctr_ok(f);
        assert_false(f->in.security.seccomp.is_set);
        assert_false(f->in.security.apparmor.is_set);
        assert_string_equal(f->in.security.seccomp_profile_path, "localhost//etc/seccomp.json");
        assert_string_equal(f->in.security.apparmor_profile, "runtime/default");
}

static void test_pod_deprecated_seccomp(void **state) {
        struct fx *f = *state;
        f->psc.seccomp_profile_path = "unconfined";
        pod_ok(f);
        assert_string_equal(f->pc.security.seccomp_profile_path, "unconfined");
        assert_null(f->pc.security.apparmor_profile);
}
#pragma GCC diagnostic pop

static void test_ctr_groups_policy_invalid(void **state) {
        struct fx *f = *state;
        f->csc.supplemental_groups_policy = (Runtime__V1__SupplementalGroupsPolicy) 2;
        assert_string_equal(testlib_error_is(ctr(f), &f->err, CRIC_E_INVALID),
                            "container \"app\": supplemental_groups_policy: unknown value 2");
}

/* ---- sandbox ---- */

static void test_pod_fields(void **state) {
        struct fx *f = *state;
        Runtime__V1__LinuxPodSandboxConfig__SysctlsEntry s[2], *sp[2] = {&s[0], &s[1]};
        Runtime__V1__PodSandboxConfig__AnnotationsEntry an, *anp = &an;
        for (int i = 0; i < 2; i++)
                runtime__v1__linux_pod_sandbox_config__sysctls_entry__init(&s[i]);
        runtime__v1__pod_sandbox_config__annotations_entry__init(&an);
        s[0].key = "net.core.somaxconn";
        s[0].value = "1024";
        s[1].key = "kernel.shm_rmid_forced";
        s[1].value = "1";
        an.key = "io.example/pod";
        an.value = "yes";
        f->p.hostname = "web-0";
        f->p.annotations = &anp;
        f->p.n_annotations = 1;
        f->plc.cgroup_parent = "/kubepods/pod1";
        f->plc.sysctls = sp;
        f->plc.n_sysctls = 2;
        pod_ok(f);
        const struct pod_config *pc = &f->pc;
        assert_string_equal(pc->name, "web");
        assert_string_equal(pc->namespace, "default");
        assert_string_equal(pc->uid, "uid-1");
        assert_string_equal(pc->hostname, "web-0");
        assert_string_equal(pc->cgroup_parent, "/kubepods/pod1");
        assert_string_equal(pc->runtime_handler, "");
        assert_int_equal(pc->n_sysctls, 2);
        assert_string_equal(pc->sysctls[0].key, "net.core.somaxconn");
        assert_string_equal(pc->sysctls[0].value, "1024");
        assert_string_equal(pc->sysctls[1].key, "kernel.shm_rmid_forced");
        assert_string_equal(pc->sysctls[1].value, "1");
        assert_int_equal(pc->n_annotations, 1);
        assert_string_equal(pc->annotations[0].key, "io.example/pod");
        assert_string_equal(pc->annotations[0].value, "yes");
        assert_null(pc->dns);
        assert_null(pc->bandwidth);
        assert_int_equal(pc->n_port_mappings, 0);
}

static void test_pod_minimal(void **state) {
        struct fx *f = *state;
        f->p.linux = NULL;
        pod_ok(f);
        assert_null(f->pc.hostname); /* "" */
        assert_null(f->pc.cgroup_parent);
        assert_null(f->pc.sysctls);
        assert_int_equal(f->pc.n_sysctls + f->pc.n_annotations + f->pc.n_labels, 0);
        assert_false(f->pc.security.is_privileged);
        /* No namespace options: the pod's own network and IPC, no shared PID namespace. */
        assert_int_equal(f->pc.security.ns.network, OCI_NS_POD);
        assert_int_equal(f->pc.security.ns.ipc, OCI_NS_POD);
        assert_int_equal(f->pc.security.ns.pid, OCI_NS_CONTAINER);
        assert_int_equal(f->a.n, 0);
}

static void test_pod_needs_metadata_name(void **state) {
        struct fx *f = *state;
        f->pmd.name = "";
        assert_contains(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                        "metadata name, namespace and uid are required");
        f->pmd.name = "web";
        f->pmd.uid = "";
        assert_contains(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                        "metadata name, namespace and uid are required");
        f->p.metadata = NULL;
        assert_contains(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                        "metadata name, namespace and uid are required");
}

static void test_pod_security(void **state) {
        struct fx *f = *state;
        Runtime__V1__NamespaceOption ns;
        Runtime__V1__SELinuxOption se;
        Runtime__V1__Int64Value uid, gid;
        Runtime__V1__SecurityProfile sp, ap;
        runtime__v1__namespace_option__init(&ns);
        runtime__v1__selinux_option__init(&se);
        runtime__v1__int64_value__init(&uid);
        runtime__v1__int64_value__init(&gid);
        runtime__v1__security_profile__init(&sp);
        runtime__v1__security_profile__init(&ap);
        int64_t groups[] = {2000};
        ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
        ns.ipc = RUNTIME__V1__NAMESPACE_MODE__NODE;
        se.role = "system_r";
        uid.value = 65534;
        gid.value = 65534;
        sp.profile_type = RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Unconfined;
        ap.profile_type = RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost;
        ap.localhost_ref = "my-profile";
        Runtime__V1__LinuxSandboxSecurityContext *sc = &f->psc;
        sc->namespace_options = &ns;
        sc->selinux_options = &se;
        sc->run_as_user = &uid;
        sc->run_as_group = &gid;
        sc->readonly_rootfs = true;
        sc->privileged = true;
        sc->supplemental_groups = groups;
        sc->n_supplemental_groups = 1;
        sc->supplemental_groups_policy = RUNTIME__V1__SUPPLEMENTAL_GROUPS_POLICY__Strict;
        sc->seccomp = &sp;
        sc->apparmor = &ap;
        pod_ok(f);
        const struct oci_security_context *s = &f->pc.security;
        assert_true(s->is_privileged && s->is_readonly_rootfs);
        assert_false(s->no_new_privs);
        assert_int_equal(s->ns.network, OCI_NS_NODE);
        assert_int_equal(s->ns.pid, OCI_NS_POD);
        assert_int_equal(s->ns.ipc, OCI_NS_NODE);
        assert_string_equal(s->selinux.role, "system_r");
        assert_null(s->selinux.user);
        assert_true(s->has_run_as_user && s->has_run_as_group);
        assert_int_equal(s->run_as_user, 65534);
        assert_int_equal(s->run_as_group, 65534);
        assert_null(s->run_as_username);
        assert_ptr_equal(s->supplemental_groups, groups);
        assert_int_equal(s->n_supplemental_groups, 1);
        assert_int_equal(s->groups_policy, OCI_GROUPS_STRICT);
        assert_true(s->seccomp.is_set && s->apparmor.is_set);
        assert_int_equal(s->seccomp.type, OCI_PROFILE_UNCONFINED);
        assert_int_equal(s->apparmor.type, OCI_PROFILE_LOCALHOST);
        assert_string_equal(s->apparmor.localhost_ref, "my-profile");
        assert_int_equal(s->caps.n_add + s->n_masked_paths + s->n_readonly_paths, 0);
}

static void test_pod_security_refused(void **state) {
        struct fx *f = *state;
        Runtime__V1__Int64Value gid;
        runtime__v1__int64_value__init(&gid);
        f->psc.run_as_group = &gid;
        assert_string_equal(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                            "pod \"web_default\": run_as_group needs run_as_user or run_as_username");
        f->psc.run_as_group = NULL;
        Runtime__V1__NamespaceOption ns;
        runtime__v1__namespace_option__init(&ns);
        ns.pid = (Runtime__V1__NamespaceMode) 5;
        f->psc.namespace_options = &ns;
        assert_string_equal(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                            "pod \"web_default\": namespace_options.pid: unknown value 5");
        ns.pid = 0;
        f->psc.supplemental_groups_policy = (Runtime__V1__SupplementalGroupsPolicy) 3;
        assert_contains(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID),
                        "supplemental_groups_policy: unknown value 3");
        f->psc.supplemental_groups_policy = 0;
        Runtime__V1__SecurityProfile sp;
        runtime__v1__security_profile__init(&sp);
        sp.profile_type = (Runtime__V1__SecurityProfile__ProfileType) 8;
        f->psc.seccomp = &sp;
        assert_contains(testlib_error_is(pod(f), &f->err, CRIC_E_INVALID), "pod \"web_default\": seccomp.profile_type");
}

/* ---- stop signal ---- */

static int sig_of(const char *name) {
        int sig = -1;
        struct cric_error *err = NULL;
        if (oci_signal_parse(name, &sig, &err) < 0)
                fail_msg("oci_signal_parse(\"%s\"): %s", name, err->msg);
        return sig;
}

static void test_stop_signal_names(void **state) {
        (void) state;
        assert_int_equal(sig_of(NULL), 0);
        assert_int_equal(sig_of(""), 0);
        assert_int_equal(sig_of("SIGTERM"), SIGTERM);
        assert_int_equal(sig_of("TERM"), SIGTERM);
        assert_int_equal(sig_of("sigterm"), SIGTERM);
        assert_int_equal(sig_of("SigQuit"), SIGQUIT);
        assert_int_equal(sig_of("15"), 15);
        assert_int_equal(sig_of("9"), SIGKILL);
        assert_int_equal(sig_of("SIGKILL"), SIGKILL);
        assert_int_equal(sig_of("SIGWINCH"), SIGWINCH);
        assert_int_equal(sig_of("USR1"), SIGUSR1);
        assert_int_equal(sig_of("SIGCLD"), SIGCHLD);
        assert_int_equal(sig_of("SIGIOT"), SIGABRT);
        assert_int_equal(sig_of("SIGPWR"), SIGPWR);
}

static void test_stop_signal_realtime(void **state) {
        (void) state;
        assert_int_equal(sig_of("SIGRTMIN"), SIGRTMIN);
        assert_int_equal(sig_of("SIGRTMIN+3"), SIGRTMIN + 3);
        assert_int_equal(sig_of("rtmin+0"), SIGRTMIN);
        assert_int_equal(sig_of("RTMAX-2"), SIGRTMAX - 2);
        assert_int_equal(sig_of("SIGRTMAX"), SIGRTMAX);
        char buf[32];
        snprintf(buf, sizeof(buf), "SIGRTMIN+%d", SIGRTMAX - SIGRTMIN);
        assert_int_equal(sig_of(buf), SIGRTMAX);
        snprintf(buf, sizeof(buf), "%d", SIGRTMAX);
        assert_int_equal(sig_of(buf), SIGRTMAX);
}

static void test_stop_signal_unknown(void **state) {
        (void) state;
        char over_rt[32], over_num[32];
        snprintf(over_rt, sizeof(over_rt), "SIGRTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
        snprintf(over_num, sizeof(over_num), "%d", SIGRTMAX + 1);
        const char *bad[] = {"SIGFOO",     "0",     "-15",     "+15",     "15x",    " 15",     "SIG15", "SIG",
                             "SIGSIGTERM", "TERM ", "RTMIN-1", "RTMAX+1", "RTMIN+", "RTMIN+x", over_rt, over_num};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int sig = -7;
                struct cric_error *err = NULL;
                if (oci_signal_parse(bad[i], &sig, &err) == 0)
                        fail_msg("\"%s\" parsed as %d", bad[i], sig);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                AUTOFREE char *want = xasprintf("unknown stop signal \"%s\"", bad[i]);
                assert_string_equal(err->msg, want);
                cric_error_free(err);
        }
}

/* ---- full configs through oci_spec_generate ---- */

struct it {
        struct t *t;
        struct fx f;
        Runtime__V1__Mount m, *mp;
        Runtime__V1__Device d, *dp;
        Runtime__V1__KeyValue e, *ep;
        Runtime__V1__LinuxPodSandboxConfig__SysctlsEntry s, *sp;
        Runtime__V1__Int64Value uid, gid;
        Runtime__V1__Capability caps;
        Runtime__V1__SecurityProfile seccomp;
        struct oci_image_defaults img;
        char *host_dir;
};

static char *it_cmd[] = {"/bin/sh", "-c", "sleep 1000"};
static char *it_add[] = {"NET_ADMIN"};
static int64_t it_groups[] = {29};

static int it_setup(void **state) {
        void *ts = NULL;
        t_setup(&ts);
        struct it *it = xzalloc(sizeof(*it));
        it->t = ts;
        struct fx *f = &it->f;
        fx_init(f);
        it->host_dir = xasprintf("%s/host-data", it->t->dir);
        runtime__v1__mount__init(&it->m);
        it->m.container_path = "/data";
        it->m.host_path = it->host_dir;
        it->m.readonly = true;
        it->mp = &it->m;
        runtime__v1__device__init(&it->d);
        it->d.host_path = "/dev/null";
        it->d.container_path = "/dev/xnull";
        it->d.permissions = "rw";
        it->dp = &it->d;
        runtime__v1__key_value__init(&it->e);
        it->e.key = "FOO";
        it->e.value = (ProtobufCBinaryData){3, (uint8_t *) "bar"};
        it->ep = &it->e;
        runtime__v1__linux_pod_sandbox_config__sysctls_entry__init(&it->s);
        it->s.key = "net.core.somaxconn";
        it->s.value = "1024";
        it->sp = &it->s;
        runtime__v1__int64_value__init(&it->uid);
        runtime__v1__int64_value__init(&it->gid);
        it->uid.value = 1000;
        it->gid.value = 50;
        runtime__v1__capability__init(&it->caps);
        it->caps.add_capabilities = it_add;
        it->caps.n_add_capabilities = 1;
        runtime__v1__security_profile__init(&it->seccomp);
        f->c.command = it_cmd;
        f->c.n_command = 3;
        f->c.envs = &it->ep;
        f->c.n_envs = 1;
        f->c.mounts = &it->mp;
        f->c.n_mounts = 1;
        f->c.devices = &it->dp;
        f->c.n_devices = 1;
        f->res.memory_limit_in_bytes = 256 << 20;
        f->res.cpu_shares = 512;
        f->csc.capabilities = &it->caps;
        f->csc.run_as_user = &it->uid;
        f->csc.run_as_group = &it->gid;
        f->csc.supplemental_groups = it_groups;
        f->csc.n_supplemental_groups = 1;
        f->csc.seccomp = &it->seccomp;
        f->csc.no_new_privs = true;
        f->p.hostname = "web-0";
        f->plc.cgroup_parent = "/kubepods/pod1";
        f->plc.sysctls = &it->sp;
        f->plc.n_sysctls = 1;
        *state = it;
        return 0;
}

static int it_teardown(void **state) {
        struct it *it = *state;
        void *ts = it->t;
        fx_clear(&it->f);
        free(it->host_dir);
        free(it);
        return t_teardown(&ts);
}

/* The pod's sandbox as the runtime builds it from the converted config. */
static void it_sandbox(struct fx *f, bool has_netns) {
        pod_ok(f);
        const struct pod_config *pc = &f->pc;
        f->sb = (struct oci_sandbox){
                .id = "sb1",
                .pod_name = pc->name,
                .pod_namespace = pc->namespace,
                .pod_uid = pc->uid,
                .hostname = pc->hostname,
                .cgroup_parent = pc->cgroup_parent,
                .netns_path = has_netns ? "/run/cric/ns/net/sb1" : NULL,
                .ipcns_path = "/run/cric/ns/ipc/sb1",
                .sysctls = pc->sysctls,
                .n_sysctls = pc->n_sysctls,
                .resolv_conf_path = "/run/cric/sb1/resolv.conf",
                .hosts_path = "/run/cric/sb1/hosts",
                .hostname_path = "/run/cric/sb1/hostname",
                .annotations = pc->annotations,
                .n_annotations = pc->n_annotations,
                .security = pc->security,
        };
}

/* Converts the pod and the container and wires them up as the runtime would. */
static void it_convert(struct it *it, bool has_netns) {
        struct fx *f = &it->f;
        it_sandbox(f, has_netns);
        ctr_ok(f);
        f->in.id = "c1";
        f->in.rootfs = it->t->rootfs;
        f->in.sandbox = &f->sb;
        f->in.image = &it->t->img;
        it->t->in = f->in;
}

static void test_spec_full_container(void **state) {
        struct it *it = *state;
        it_convert(it, true);
        struct json_object *spec = t_gen(it->t);
        assert_int_equal(jlen(spec, "process/args"), 3);
        assert_string_equal(jstr(spec, "process/args/2"), "sleep 1000");
        assert_true(jhas(spec, "process/env", "FOO=bar"));
        assert_int_equal(jint(spec, "process/user/uid"), 1000);
        assert_int_equal(jint(spec, "process/user/gid"), 50);
        assert_true(jbool(spec, "process/noNewPrivileges"));
        assert_true(jhas(spec, "process/capabilities/bounding", "CAP_NET_ADMIN"));
        assert_non_null(jp(spec, "linux/seccomp"));
        struct json_object *m = t_mount(spec, "/data");
        assert_non_null(m);
        assert_string_equal(jstr(m, "type"), "bind");
        assert_true(jhas(m, "options", "ro"));
        assert_int_equal(jint(spec, "linux/resources/memory/limit"), 256 << 20);
        assert_string_equal(jstr(spec, "linux/sysctl/net.core.somaxconn"), "1024");
        assert_string_equal(jstr(spec, "annotations/io.kubernetes.cri.container-name"), "app");
        assert_string_equal(jstr(spec, "annotations/io.kubernetes.cri.sandbox-name"), "web");
        assert_string_equal(jstr(spec, "annotations/io.kubernetes.cri.sandbox-namespace"), "default");
        assert_string_equal(jstr(spec, "linux/devices/0/path"), "/dev/xnull");
}

static void test_spec_full_infra(void **state) {
        struct it *it = *state;
        it->f.psc.run_as_user = &it->uid;
        it->f.psc.seccomp = &it->seccomp;
        it_sandbox(&it->f, true);
        struct oci_infra_input infra = {.rootfs = it->t->rootfs, .sandbox = &it->f.sb};
        struct json_object *spec = t_gen_infra(it->t, &infra);
        assert_string_equal(jstr(spec, "process/args/0"), "/pause");
        assert_int_equal(jint(spec, "process/user/uid"), 1000);
        assert_string_equal(jstr(spec, "hostname"), "web-0");
        assert_string_equal(jstr(spec, "linux/sysctl/net.core.somaxconn"), "1024");
        assert_string_equal(jstr(spec, "annotations/io.kubernetes.cri.container-type"), "sandbox");
}

static void test_spec_host_network_pod(void **state) {
        struct it *it = *state;
        Runtime__V1__NamespaceOption ns;
        runtime__v1__namespace_option__init(&ns);
        ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
        it->f.psc.namespace_options = &ns;
        it->f.csc.namespace_options = &ns;
        it->f.plc.n_sysctls = 0; /* net.* sysctls are refused on the host network */
        it_convert(it, false);
        struct json_object *spec = t_gen(it->t);
        assert_null(t_ns(spec, "network"));
        assert_null(t_ns(spec, "uts"));
        assert_non_null(t_ns(spec, "ipc"));
}

/* The converter refuses run_as_group without a user with the words oci/ uses when it
 * is handed such a struct directly. */
static void test_spec_run_as_group_same_words(void **state) {
        struct it *it = *state;
        it_convert(it, true);
        it->t->in.security.has_run_as_user = false;
        const char *oci_msg = t_gen_fails(it->t, CRIC_E_INVALID);
        it->f.csc.run_as_user = NULL;
        assert_string_equal(testlib_error_is(ctr(&it->f), &it->f.err, CRIC_E_INVALID), oci_msg);
}

#define IT_TEST(fn) cmocka_unit_test_setup_teardown(fn, it_setup, it_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arena_keep_and_clear),
                FX_TEST(test_ctr_minimal),
                FX_TEST(test_ctr_process_fields),
                FX_TEST(test_ctr_needs_metadata_name),
                FX_TEST(test_ctr_env),
                FX_TEST(test_ctr_env_refused),
                FX_TEST(test_ctr_annotations),
                FX_TEST(test_ctr_mounts),
                FX_TEST(test_ctr_mount_refused),
                FX_TEST(test_ctr_mount_image_volume),
                FX_TEST(test_ctr_mount_idmapped),
                FX_TEST(test_ctr_devices),
                FX_TEST(test_ctr_cdi_devices),
                FX_TEST(test_resources),
                FX_TEST(test_resources_unset),
                FX_TEST(test_ctr_security_fields),
                FX_TEST(test_ctr_security_empty_context),
                FX_TEST(test_ctr_run_as_ids),
                FX_TEST(test_ctr_run_as_group_without_user),
                FX_TEST(test_ctr_run_as_user_and_username),
                FX_TEST(test_ctr_namespaces),
                FX_TEST(test_ctr_namespace_mode_invalid),
                FX_TEST(test_ctr_user_namespace),
                FX_TEST(test_ctr_security_profiles),
                FX_TEST(test_ctr_deprecated_profiles),
                FX_TEST(test_ctr_groups_policy_invalid),
                FX_TEST(test_pod_fields),
                FX_TEST(test_pod_minimal),
                FX_TEST(test_pod_needs_metadata_name),
                FX_TEST(test_pod_security),
                FX_TEST(test_pod_security_refused),
                FX_TEST(test_pod_deprecated_seccomp),
                cmocka_unit_test(test_stop_signal_names),
                cmocka_unit_test(test_stop_signal_realtime),
                cmocka_unit_test(test_stop_signal_unknown),
                IT_TEST(test_spec_full_container),
                IT_TEST(test_spec_full_infra),
                IT_TEST(test_spec_host_network_pod),
                IT_TEST(test_spec_run_as_group_same_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
