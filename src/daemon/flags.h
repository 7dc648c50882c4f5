/* cricd command line: CRI-O's flag names, turned into config overrides. */
#ifndef CRIC_DAEMON_FLAGS_H
#define CRIC_DAEMON_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"

enum daemon_command {
        DAEMON_CMD_RUN = 0, /* serve the CRI */
        DAEMON_CMD_CONFIG,  /* `cricd config [--default]`: print the config and exit */
        DAEMON_CMD_VERSION, /* --version / `cricd version` */
        DAEMON_CMD_HELP,    /* --help / -h */
        DAEMON_CMD_CHECK,   /* `cricd check [--repair]`: verify the store and exit */
};

struct daemon_flags {
        enum daemon_command command;
        bool config_default;        /* `config --default`: print the built-in defaults */
        bool check_repair;          /* `check --repair`: remove what is damaged */
        struct config_overrides ov; /* settings point into argv or into owned storage */
};

/* Parses argv. Unknown flags, missing values and bad values are CRIC_E_INVALID errors
 * naming the flag. */
int daemon_flags_parse(int argc, char **argv, struct daemon_flags *ret, struct cric_error **err);
void daemon_flags_clear(struct daemon_flags *f);
void daemon_flags_usage(FILE *out);

#endif
