/* The exit file: how the container process ended, for the daemon to read (now or
 * after a restart). Written atomically so a reader sees all of it or nothing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int64_t monitor_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void monitor_exit_from_status(int status, int64_t time_ns, bool is_oom, struct monitor_exit *ret) {
        struct monitor_exit e = {.exit_time_ns = time_ns, .oom_killed = is_oom};
        if (WIFSIGNALED(status)) {
                e.signal = WTERMSIG(status);
                e.exit_code = 128 + e.signal;
        } else if (WIFEXITED(status)) {
                e.exit_code = WEXITSTATUS(status);
        } else {
                e.exit_code = -1;
        }
        *ret = e;
}

char *monitor_exit_format(const struct monitor_exit *e) {
        return xasprintf("{\"exit_code\": %d, \"exit_time_ns\": %" PRId64 ", \"oom_killed\": %s, \"signal\": %d}\n",
                         e->exit_code, e->exit_time_ns, e->oom_killed ? "true" : "false", e->signal);
}

int monitor_exit_write(const char *exit_dir, const char *id, const struct monitor_exit *e, struct cric_error **err) {
        AUTOFREE char *json = monitor_exit_format(e);
        AUTOFREE char *path = xasprintf("%s/%s", exit_dir, id);
        if (fs_mkdir_p(exit_dir, 0700, err) < 0)
                return cric_error_prefix(err, "exit file");
        /* In the runroot: no fsync, which cost the exit -> event delay milliseconds where
         * the runroot is on a disk; a reboot ends the containers anyway. */
        if (fs_write_file_replace(path, json, strlen(json), 0600, err) < 0)
                return cric_error_prefix(err, "exit file");
        return 0;
}
