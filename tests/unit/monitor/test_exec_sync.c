/* Exec-sync output encoding: base64 that util/base64's decoder reads back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/internal.h"
#include "util/base64.h"
#include "util/cleanup.h"

static void test_known_vectors(void **state) {
        (void) state;
        /* RFC 4648, section 10 */
        static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                AUTOFREE char *enc = monitor_base64_encode(in[i], strlen(in[i]));
                assert_string_equal(enc, out[i]);
        }
}

static void test_binary_round_trip(void **state) {
        (void) state;
        char data[1000];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (char) (i * 7 + 3);
        for (size_t len = 0; len < sizeof(data); len += 37) {
                AUTOFREE char *enc = monitor_base64_encode(data, len);
                AUTOFREE char *dec = NULL;
                size_t dec_len = 0;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(base64_decode(enc, strlen(enc), &dec, &dec_len, &err), 0);
                assert_int_equal(dec_len, len);
                assert_memory_equal(dec, data, len);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_known_vectors),
                cmocka_unit_test(test_binary_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
