/* The sd_notify messages and address, the watchdog's interval and schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/notify.h"
#include "testlib.h"

static void test_address(void **state) {
        (void) state;
        struct sockaddr_un a;
        socklen_t len;
        assert_int_equal(notify_address("/run/systemd/notify", &a, &len), 0);
        assert_string_equal(a.sun_path, "/run/systemd/notify");
        assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/systemd/notify") + 1);
        assert_int_equal(notify_address("@cric/notify", &a, &len), 0);
        assert_int_equal(a.sun_path[0], '\0');
        assert_memory_equal(a.sun_path + 1, "cric/notify", strlen("cric/notify"));
        assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen("@cric/notify"));
        const char *bad[] = {"relative", "", "@", "/"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                errno = 0;
                assert_int_equal(notify_address(bad[i], &a, &len), -1);
                assert_int_equal(errno, EINVAL);
        }
        char longp[200];
        memset(longp, 'x', sizeof(longp) - 1);
        longp[0] = '/';
        longp[sizeof(longp) - 1] = 0;
        assert_int_equal(notify_address(longp, &a, &len), -1);
        assert_int_equal(notify_address(NULL, &a, &len), -1);
}

static void test_reloading_message(void **state) {
        (void) state;
        char *m = notify_reloading_message(123456789, NULL);
        assert_string_equal(m, "RELOADING=1\nMONOTONIC_USEC=123456789\n");
        free(m);
        m = notify_reloading_message(UINT64_C(18446744073709551615), "reloading");
        assert_string_equal(m, "RELOADING=1\nMONOTONIC_USEC=18446744073709551615\nSTATUS=reloading\n");
        free(m);
}

static void test_serving_text(void **state) {
        (void) state;
        char *m = notify_serving_text("/run/cric/cric.sock", 0, 0);
        assert_string_equal(m, "serving on /run/cric/cric.sock, 0 pods ready, 0 containers running");
        free(m);
        m = notify_serving_text("/x.sock", 1, 1);
        assert_string_equal(m, "serving on /x.sock, 1 pod ready, 1 container running");
        free(m);
        m = notify_serving_text("/x.sock", 12, 30);
        assert_string_equal(m, "serving on /x.sock, 12 pods ready, 30 containers running");
        free(m);
}

static void test_watchdog_interval(void **state) {
        (void) state;
        assert_int_equal(notify_watchdog_interval("20000000", NULL, 42), 10000000);
        assert_int_equal(notify_watchdog_interval("20000000", "", 42), 10000000);
        assert_int_equal(notify_watchdog_interval("20000000", "42", 42), 10000000);
        assert_int_equal(notify_watchdog_interval("1", NULL, 42), 1);
        assert_int_equal(notify_watchdog_interval("20000000", "43", 42), 0); /* another process's */
        assert_int_equal(notify_watchdog_interval(NULL, NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("0", NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("-5", NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("10s", NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("", NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("99999999999999999999999", NULL, 42), 0);
        assert_int_equal(notify_watchdog_interval("100", "x", 42), 0);
}

static void test_watchdog_schedule(void **state) {
        (void) state;
        unsetenv("NOTIFY_SOCKET"); /* ticks send nothing */
        struct notify_watchdog off = {0};
        assert_int_equal(notify_watchdog_sleep(&off, 1000, 5000000), 5000000);
        struct notify_watchdog w = {.interval_usec = 1000000, .next_usec = 0};
        assert_int_equal(notify_watchdog_sleep(&w, 500, 5000000), 0); /* the first ping is due */
        notify_watchdog_tick(&w, 500);
        assert_int_equal(w.next_usec, 1000500);
        assert_int_equal(notify_watchdog_sleep(&w, 600, 5000000), 999900);
        assert_int_equal(notify_watchdog_sleep(&w, 600, 100), 100);
        notify_watchdog_tick(&w, 900000); /* not due: nothing changes */
        assert_int_equal(w.next_usec, 1000500);
        notify_watchdog_tick(&w, 1200000);
        assert_int_equal(w.next_usec, 2200000);
}

static void test_watchdog_init(void **state) {
        (void) state;
        struct notify_watchdog w;
        setenv("WATCHDOG_USEC", "3000000", 1);
        unsetenv("WATCHDOG_PID");
        unsetenv("NOTIFY_SOCKET");
        notify_watchdog_init(&w);
        assert_int_equal(w.interval_usec, 0); /* nowhere to send pings */
        setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
        notify_watchdog_init(&w);
        assert_int_equal(w.interval_usec, 1500000);
        char pid[32];
        snprintf(pid, sizeof(pid), "%d", (int) getpid() + 1);
        setenv("WATCHDOG_PID", pid, 1);
        notify_watchdog_init(&w);
        assert_int_equal(w.interval_usec, 0);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        unsetenv("NOTIFY_SOCKET");
}

/* A real datagram through the abstract-namespace form of $NOTIFY_SOCKET. */
static void test_send_abstract(void **state) {
        (void) state;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        char name[64];
        snprintf(name, sizeof(name), "@cric-test-notify-%d", (int) getpid());
        struct sockaddr_un a;
        socklen_t len;
        assert_int_equal(notify_address(name, &a, &len), 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &a, len), 0);
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(notify_service_manager("READY=1"), 0);
        setenv("NOTIFY_SOCKET", name, 1);
        assert_int_equal(notify_sendf("READY=1\nSTATUS=serving on %s", "/run/x.sock"), 1);
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = 0;
        assert_string_equal(buf, "READY=1\nSTATUS=serving on /run/x.sock");
        unsetenv("NOTIFY_SOCKET");
        close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_address),           cmocka_unit_test(test_serving_text),
                cmocka_unit_test(test_reloading_message), cmocka_unit_test(test_watchdog_interval),
                cmocka_unit_test(test_watchdog_schedule), cmocka_unit_test(test_watchdog_init),
                cmocka_unit_test(test_send_abstract),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
