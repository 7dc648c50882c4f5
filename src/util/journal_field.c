#include "util/journal_field.h"

#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"

static void put(struct journal_buf *b, const void *data, size_t len) {
        b->data = xgrow(b->data, &b->cap, b->len + len + 1, 1);
        memcpy(b->data + b->len, data, len);
        b->len += len;
}

void journal_field_append(struct journal_buf *b, const char *key, const char *value, size_t len) {
        put(b, key, strlen(key));
        if (!memchr(value, '\n', len)) {
                put(b, "=", 1);
                put(b, value, len);
                put(b, "\n", 1);
                return;
        }
        unsigned char le[8];
        uint64_t n = len;
        for (int i = 0; i < 8; i++)
                le[i] = (unsigned char) (n >> (8 * i));
        put(b, "\n", 1);
        put(b, le, sizeof(le));
        put(b, value, len);
        put(b, "\n", 1);
}
