/* rpc_check_utf8: every string of a request, nested messages, repeated fields and map
 * entries included, must be UTF-8; the error names the field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cri.pb-c.h"
#include "server/rpc.h"
#include "util/cleanup.h"

struct req {
        Runtime__V1__RunPodSandboxRequest r;
        Runtime__V1__PodSandboxConfig c;
        Runtime__V1__PodSandboxMetadata md;
        Runtime__V1__PodSandboxConfig__LabelsEntry l[2], *lp[2];
        Runtime__V1__DNSConfig dns;
        char *servers[2];
};

static void init(struct req *q) {
        runtime__v1__run_pod_sandbox_request__init(&q->r);
        runtime__v1__pod_sandbox_config__init(&q->c);
        runtime__v1__pod_sandbox_metadata__init(&q->md);
        runtime__v1__dnsconfig__init(&q->dns);
        for (int i = 0; i < 2; i++) {
                runtime__v1__pod_sandbox_config__labels_entry__init(&q->l[i]);
                q->lp[i] = &q->l[i];
        }
        q->l[0].key = "app";
        q->l[0].value = "web";
        q->l[1].key = "ünïcode";
        q->l[1].value = "日本語 ✓";
        q->servers[0] = "10.0.0.10";
        q->servers[1] = "10.0.0.11";
        q->md.name = "web";
        q->c.metadata = &q->md;
        q->c.labels = q->lp;
        q->c.n_labels = 2;
        q->c.dns_config = &q->dns;
        q->dns.servers = q->servers;
        q->dns.n_servers = 2;
        q->r.config = &q->c;
}

static const char *refused(struct req *q) {
        static char msg[256];
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rpc_check_utf8(&q->r.base, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        snprintf(msg, sizeof(msg), "%s", err->msg);
        return msg;
}

static void test_valid_request(void **state) {
        (void) state;
        struct req q;
        init(&q);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rpc_check_utf8(&q.r.base, &err), 0);
        assert_null(err);
}

static void test_each_place_is_checked(void **state) {
        (void) state;
        struct req q;
        init(&q);
        q.r.runtime_handler = "\xff";
        assert_string_equal(refused(&q), "runtime_handler is not valid UTF-8");
        init(&q);
        q.md.name = "we\xc3";
        assert_string_equal(refused(&q), "config.metadata.name is not valid UTF-8");
        init(&q);
        q.l[1].value = "\xed\xa0\x80"; /* a surrogate */
        assert_string_equal(refused(&q), "config.labels[1].value is not valid UTF-8");
        init(&q);
        q.servers[1] = "\xc0\xaf"; /* an overlong '/' */
        assert_string_equal(refused(&q), "config.dns_config.servers[1] is not valid UTF-8");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_request),
                cmocka_unit_test(test_each_place_is_checked),
        };
        return cmocka_run_group_tests_name("server_validate", tests, NULL, NULL);
}
