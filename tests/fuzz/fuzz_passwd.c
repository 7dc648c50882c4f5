/* libFuzzer target for the HOME lookup of the native exec (src/enter/home.c): an image's
 * /etc/passwd is the image author's text. The first two bytes are the uid looked up,
 * the rest the file. It must never crash; a home found must be a non-empty part of one
 * line, with no ':' or newline in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enter/internal.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2)
                return 0;
        uid_t uid = (uid_t) data[0] | (uid_t) data[1] << 8;
        char *text = xmalloc(size - 1);
        memcpy(text, data + 2, size - 2);
        text[size - 2] = '\0';
        char *home = enter_home_of(text, uid);
        if (home && (!*home || strpbrk(home, ":\n") || !strstr(text, home)))
                abort();
        free(home);
        free(text);
        return 0;
}
