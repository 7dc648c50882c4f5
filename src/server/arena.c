/* The reply arena of rpc.h: chunks served by bumping a pointer, freed together. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "server/rpc.h"
#include "util/xalloc.h"

#define CHUNK_SIZE (64u << 10)

struct chunk {
        struct chunk *next;
        size_t used, cap;
        alignas(max_align_t) unsigned char data[];
};

struct rpc_arena {
        struct chunk *head;
};

struct rpc_arena *rpc_arena_new(void) {
        return xzalloc(sizeof(struct rpc_arena));
}

bool rpc_arena_is_used(const struct rpc_arena *a) {
        return a && a->head;
}

void rpc_arena_free(struct rpc_arena *a) {
        if (!a)
                return;
        for (struct chunk *c = a->head, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        free(a);
}

void *rpc_alloc(struct rpc_ctx *ctx, size_t n) {
        struct rpc_arena *a = ctx->arena;
        n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
        struct chunk *c = a->head;
        if (!c || c->cap - c->used < n) {
                size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
                c = xmalloc(sizeof(*c) + cap);
                c->used = 0;
                c->cap = cap;
                c->next = a->head;
                a->head = c;
        }
        void *p = c->data + c->used;
        c->used += n;
        return memset(p, 0, n);
}

char *rpc_strdup(struct rpc_ctx *ctx, const char *s) {
        size_t n = strlen(s) + 1;
        return memcpy(rpc_alloc(ctx, n), s, n);
}
