/* image/pull_wire.c: the frames between cricd and cric-pull, and what a broken peer
 * looks like from the other end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "image/pull_wire.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/strv.h"

static void pair(int sv[2]) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_roundtrip(void **state) {
        (void) state;
        int sv[2];
        pair(sv);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *msg = jx_object(), *got = NULL;
        pull_wire_add_str(msg, "s", "caf\xc3\xa9");
        pull_wire_add_str(msg, "none", NULL);
        jx_add(msg, "n", jx_int64(1LL << 40));
        jx_add(msg, "b", jx_bool(true));
        char *v[] = {"a", "b", NULL};
        jx_add(msg, "v", jx_strv(v));
        jx_add(msg, "empty", jx_strv(NULL));
        assert_int_equal(pull_wire_send(sv[0], msg, &err), 0);
        assert_int_equal(pull_wire_recv(sv[1], &got, &err), 0);
        assert_string_equal(pull_wire_str(got, "s"), "caf\xc3\xa9");
        assert_null(pull_wire_str(got, "none"));
        assert_null(pull_wire_str(got, "n")); /* another type */
        assert_int_equal(pull_wire_int(got, "n"), 1LL << 40);
        assert_true(pull_wire_bool(got, "b"));
        assert_false(pull_wire_bool(got, "missing"));
        CLEANUP(strv_freep) char **back = NULL, **empty = NULL, **missing = NULL;
        assert_int_equal(pull_wire_strv(got, "v", &back, &err), 0);
        assert_int_equal(strv_length(back), 2);
        assert_string_equal(back[1], "b");
        assert_int_equal(pull_wire_strv(got, "empty", &empty, &err), 0);
        assert_non_null(empty);
        assert_null(empty[0]);
        assert_int_equal(pull_wire_strv(got, "missing", &missing, &err), 0);
        assert_null(missing);
        close(sv[0]);
        close(sv[1]);
}

static void test_closed_peer_is_unavailable(void **state) {
        (void) state;
        int sv[2];
        pair(sv);
        close(sv[0]);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *got = NULL;
        assert_int_equal(pull_wire_recv(sv[1], &got, &err), -1);
        assert_int_equal(err->kind, CRIC_E_UNAVAILABLE);
        assert_string_equal(err->msg, "closed");
        close(sv[1]);
}

/* Raw bytes in, the error out. */
static struct cric_error *recv_of(const void *bytes, size_t len) {
        int sv[2];
        pair(sv);
        assert_int_equal(write(sv[0], bytes, len), (ssize_t) len);
        close(sv[0]);
        struct cric_error *err = NULL;
        AUTOJSON struct json_object *got = NULL;
        assert_int_equal(pull_wire_recv(sv[1], &got, &err), -1);
        assert_null(got);
        close(sv[1]);
        return err;
}

static void test_broken_frames(void **state) {
        (void) state;
        /* a header cut short, a body cut short */
        struct cric_error *e = recv_of("\x05\x00", 2);
        assert_int_equal(e->kind, CRIC_E_INVALID);
        assert_non_null(strstr(e->msg, "cut short at 2 of 4 bytes"));
        cric_error_free(e);
        e = recv_of("\x0a\x00\x00\x00{\"a\"", 8);
        assert_int_equal(e->kind, CRIC_E_INVALID);
        assert_non_null(strstr(e->msg, "cut short at 4 of 10 bytes"));
        cric_error_free(e);
        /* over the limit: refused from the header, nothing allocated for it */
        e = recv_of("\xff\xff\xff\x7f", 4);
        assert_int_equal(e->kind, CRIC_E_INVALID);
        assert_non_null(strstr(e->msg, "too large"));
        cric_error_free(e);
        /* not an object, not JSON */
        e = recv_of("\x03\x00\x00\x00[1]", 7);
        assert_int_equal(e->kind, CRIC_E_INVALID);
        assert_non_null(strstr(e->msg, "pull helper message"));
        cric_error_free(e);
        e = recv_of("\x02\x00\x00\x00{x", 6);
        assert_int_equal(e->kind, CRIC_E_INVALID);
        cric_error_free(e);
        /* a string array holding a number */
        int sv[2];
        pair(sv);
        const char body[] = "{\"v\":[\"a\",2]}";
        unsigned char hdr[4] = {sizeof(body) - 1, 0, 0, 0};
        assert_int_equal(write(sv[0], hdr, 4), 4);
        assert_int_equal(write(sv[0], body, sizeof(body) - 1), (ssize_t) sizeof(body) - 1);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *got = NULL;
        assert_int_equal(pull_wire_recv(sv[1], &got, &err), 0);
        char **v = NULL;
        assert_int_equal(pull_wire_strv(got, "v", &v, &err), -1);
        assert_null(v);
        assert_non_null(strstr(err->msg, "v[1] is not a string"));
        close(sv[0]);
        close(sv[1]);
}

/* An error crosses with its kind; bytes that are not UTF-8 (a registry's reply quoted
 * in a message) become '?' rather than spoiling the frame. */
static void test_errors_cross(void **state) {
        (void) state;
        int sv[2];
        pair(sv);
        struct cric_error src = {.kind = CRIC_E_SIGNATURE, .msg = (char *) "rejected \xff\xfe by policy \xc3\xa9"};
        AUTOJSON struct json_object *msg = jx_object(), *got = NULL;
        jx_add(msg, "error", pull_wire_error_new(&src));
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(pull_wire_send(sv[0], msg, &err), 0);
        assert_int_equal(pull_wire_recv(sv[1], &got, &err), 0);
        struct json_object *e = NULL;
        assert_true(json_object_object_get_ex(got, "error", &e));
        assert_int_equal(pull_wire_error_take(e, &err), -1);
        assert_int_equal(err->kind, CRIC_E_SIGNATURE);
        assert_string_equal(err->msg, "rejected ?? by policy \xc3\xa9");
        cric_error_freep(&err);
        /* a kind this side does not know is an internal error */
        AUTOJSON struct json_object *odd = jx_object();
        jx_add(odd, "kind", jx_int64(99));
        jx_add(odd, "msg", jx_string("from the future"));
        assert_int_equal(pull_wire_error_take(odd, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_string_equal(err->msg, "from the future");
        close(sv[0]);
        close(sv[1]);
}

/* An answer is an image id or an error, never neither. */
static void test_take_id(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *id = NULL;
        AUTOJSON struct json_object *ok = jx_object(), *bad = jx_object(), *neither = jx_object();
        jx_add(ok, "id", jx_string("abc"));
        assert_int_equal(pull_wire_take_id(ok, "answer", &id, &err), 0);
        assert_string_equal(id, "abc");
        struct cric_error e = {.kind = CRIC_E_NOT_FOUND, .msg = (char *) "no such image"};
        jx_add(bad, "error", pull_wire_error_new(&e));
        jx_add(bad, "id", jx_string("ignored"));
        assert_int_equal(pull_wire_take_id(bad, "answer", &id, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_string_equal(err->msg, "no such image");
        cric_error_freep(&err);
        jx_add(neither, "id", jx_int64(3));
        assert_int_equal(pull_wire_take_id(neither, "the answer", &id, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "the answer has no image id");
        assert_string_equal(id, "abc");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_closed_peer_is_unavailable),
                cmocka_unit_test(test_broken_frames), cmocka_unit_test(test_errors_cross),
                cmocka_unit_test(test_take_id),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
