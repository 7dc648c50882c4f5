/* Starts pod slices as transient systemd units over D-Bus (libsystemd's sd-bus).
 * Built with -Dsystemd=enabled (or auto, when libsystemd is found); otherwise
 * systemd-stub.c stands in. */
#include <errno.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "cgroup/internal.h"

#define NOT_RUNNING       "systemd is not running: cannot use the systemd cgroup manager"
#define CALL_TIMEOUT_USEC (10u * 1000 * 1000)

static int call_error(const sd_bus_error *e, int r, const char *slice, struct cric_error **err) {
        const char *msg = e->message ? e->message : strerror(-r);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) || sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                return cric_error_set(err, CRIC_E_UNAVAILABLE, NOT_RUNNING ": %s", msg);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
                return cric_error_set(err, CRIC_E_PERMISSION, "StartTransientUnit %s: %s", slice, msg);
        return cric_error_set(err, CRIC_E_INTERNAL, "StartTransientUnit %s: %s", slice, msg);
}

static int build_call(sd_bus *bus, const char *slice, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        /* name, mode, properties a(sv), auxiliary units a(sa(sv)) */
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", slice, "replace");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", "cric pod slice");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* Does not wait for the job: a slice has nothing to start, and the OCI runtime's
 * scope waits for its slice anyway. */
int systemd_start_slice(const char *slice, struct cric_error **err) {
        __attribute__((cleanup(sd_bus_flush_close_unrefp))) sd_bus *bus = NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *call = NULL, *reply = NULL;
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, -r, NOT_RUNNING ": connect to the system bus");
        r = build_call(bus, slice, &call);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, -r, "build StartTransientUnit call");
        r = sd_bus_call(bus, call, CALL_TIMEOUT_USEC, &e, &reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
                        return 0;
                return call_error(&e, r, slice, err);
        }
        return 0;
}
