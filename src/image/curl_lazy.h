/* libcurl, loaded when the first registry client is made and unloaded when the last
 * one is gone (curl_lib, a lazylib): pulls are rare, and libcurl with its TLS, LDAP,
 * SSH and Kerberos dependencies would otherwise stay mapped in an idle daemon (about
 * 4 MB of RSS). Include this instead of <curl/curl.h>: the curl_* names below become
 * calls through the table dlsym fills. */
#ifndef CRIC_IMAGE_CURL_LAZY_H
#define CRIC_IMAGE_CURL_LAZY_H

/* The type-checking macros of curl.h would name the real functions. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util/lazylib.h"

#define CURL_LAZY_FUNCS(X)                                                                                             \
        X(CURLcode, curl_global_init, (long flags))                                                                    \
        X(void, curl_global_cleanup, (void) )                                                                          \
        X(CURL *, curl_easy_init, (void) )                                                                             \
        X(CURLcode, curl_easy_setopt, (CURL * h, CURLoption opt, ...))                                                 \
        X(CURLcode, curl_easy_perform, (CURL * h))                                                                     \
        X(CURLcode, curl_easy_getinfo, (CURL * h, CURLINFO info, ...))                                                 \
        X(void, curl_easy_reset, (CURL * h))                                                                           \
        X(void, curl_easy_cleanup, (CURL * h))                                                                         \
        X(const char *, curl_easy_strerror, (CURLcode code))                                                           \
        X(struct curl_slist *, curl_slist_append, (struct curl_slist * list, const char *s))                           \
        X(void, curl_slist_free_all, (struct curl_slist * list))                                                       \
        X(CURLSH *, curl_share_init, (void) )                                                                          \
        X(CURLSHcode, curl_share_setopt, (CURLSH * sh, CURLSHoption opt, ...))                                         \
        X(CURLSHcode, curl_share_cleanup, (CURLSH * sh))

enum {
#define X(ret, name, args) name##_slot,
        CURL_LAZY_FUNCS(X)
#undef X
                CURL_LAZY_N_SLOTS
};

#define X(ret, name, args) typedef ret(*name##_fn) args;
CURL_LAZY_FUNCS(X)
#undef X

extern void *curl_slots[CURL_LAZY_N_SLOTS];
extern struct lazylib curl_lib;

/* Every call below is only valid while a reference is held (lazylib_acquire). */
#undef curl_global_init
#define curl_global_init ((curl_global_init_fn) curl_slots[curl_global_init_slot])
#undef curl_global_cleanup
#define curl_global_cleanup ((curl_global_cleanup_fn) curl_slots[curl_global_cleanup_slot])
#undef curl_easy_init
#define curl_easy_init ((curl_easy_init_fn) curl_slots[curl_easy_init_slot])
#undef curl_easy_setopt
#define curl_easy_setopt ((curl_easy_setopt_fn) curl_slots[curl_easy_setopt_slot])
#undef curl_easy_perform
#define curl_easy_perform ((curl_easy_perform_fn) curl_slots[curl_easy_perform_slot])
#undef curl_easy_getinfo
#define curl_easy_getinfo ((curl_easy_getinfo_fn) curl_slots[curl_easy_getinfo_slot])
#undef curl_easy_reset
#define curl_easy_reset ((curl_easy_reset_fn) curl_slots[curl_easy_reset_slot])
#undef curl_easy_cleanup
#define curl_easy_cleanup ((curl_easy_cleanup_fn) curl_slots[curl_easy_cleanup_slot])
#undef curl_easy_strerror
#define curl_easy_strerror ((curl_easy_strerror_fn) curl_slots[curl_easy_strerror_slot])
#undef curl_slist_append
#define curl_slist_append ((curl_slist_append_fn) curl_slots[curl_slist_append_slot])
#undef curl_slist_free_all
#define curl_slist_free_all ((curl_slist_free_all_fn) curl_slots[curl_slist_free_all_slot])
#undef curl_share_init
#define curl_share_init ((curl_share_init_fn) curl_slots[curl_share_init_slot])
#undef curl_share_setopt
#define curl_share_setopt ((curl_share_setopt_fn) curl_slots[curl_share_setopt_slot])
#undef curl_share_cleanup
#define curl_share_cleanup ((curl_share_cleanup_fn) curl_slots[curl_share_cleanup_slot])

#endif
