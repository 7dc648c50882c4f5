/* Fault injection for the crash-safety tests: with CRIC_CRASH_AT=<name> in cricd's
 * environment, crashpoint("<name>") logs and then kills the daemon with SIGKILL at that
 * step, as an OOM kill or a power cut would, so a test can check what every step of a
 * pull or a create leaves behind and that the next start cleans it up. The variable is
 * read once; when it is unset a crash point costs one comparison. */
#ifndef CRIC_UTIL_CRASHPOINT_H
#define CRIC_UTIL_CRASHPOINT_H

void crashpoint(const char *name);

#endif
