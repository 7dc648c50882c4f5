/* libarchive (and its libxml2/ICU/compression dependencies, about 1.3 MB of RSS),
 * loaded while layers are being unpacked and unloaded after (archive_lib, a lazylib).
 * Include this instead of <archive.h>: the archive_* names below become calls
 * through the table dlsym fills. */
#ifndef CRIC_STORAGE_ARCHIVE_LAZY_H
#define CRIC_STORAGE_ARCHIVE_LAZY_H

#include <archive.h>
#include <archive_entry.h>

#include "util/lazylib.h"

#define ARCHIVE_LAZY_FUNCS(X)                                                                                          \
        X(struct archive *, archive_read_new, (void) )                                                                 \
        X(int, archive_read_free, (struct archive * a))                                                                \
        X(int, archive_read_support_format_tar, (struct archive * a))                                                  \
        X(int, archive_read_support_filter_none, (struct archive * a))                                                 \
        X(int, archive_read_open,                                                                                      \
          (struct archive * a, void *data, archive_open_callback *open, archive_read_callback *read,                   \
           archive_close_callback *close))                                                                             \
        X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *entry))                          \
        X(int, archive_read_data_block, (struct archive * a, const void **buf, size_t *size, la_int64_t *offset))      \
        X(const char *, archive_error_string, (struct archive * a))                                                    \
        X(void, archive_set_error, (struct archive * a, int code, const char *fmt, ...))                               \
        X(const char *, archive_entry_hardlink, (struct archive_entry * e))                                            \
        X(const char *, archive_entry_hardlink_utf8, (struct archive_entry * e))                                       \
        X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e))                                             \
        X(int, archive_entry_xattr_reset, (struct archive_entry * e))                                                  \
        X(int, archive_entry_xattr_next,                                                                               \
          (struct archive_entry * e, const char **name, const void **value, size_t *size))                             \
        X(la_int64_t, archive_entry_uid, (struct archive_entry * e))                                                   \
        X(la_int64_t, archive_entry_gid, (struct archive_entry * e))                                                   \
        X(const char *, archive_entry_symlink, (struct archive_entry * e))                                             \
        X(const char *, archive_entry_symlink_utf8, (struct archive_entry * e))                                        \
        X(int, archive_entry_size_is_set, (struct archive_entry * e))                                                  \
        X(la_int64_t, archive_entry_size, (struct archive_entry * e))                                                  \
        X(dev_t, archive_entry_rdevmajor, (struct archive_entry * e))                                                  \
        X(dev_t, archive_entry_rdevminor, (struct archive_entry * e))                                                  \
        X(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e))                                                 \
        X(const char *, archive_entry_pathname, (struct archive_entry * e))                                            \
        X(const char *, archive_entry_pathname_utf8, (struct archive_entry * e))                                       \
        X(time_t, archive_entry_mtime, (struct archive_entry * e))                                                     \
        X(long, archive_entry_mtime_nsec, (struct archive_entry * e))                                                  \
        X(time_t, archive_entry_atime, (struct archive_entry * e))                                                     \
        X(long, archive_entry_atime_nsec, (struct archive_entry * e))                                                  \
        X(int, archive_entry_atime_is_set, (struct archive_entry * e))

enum {
#define X(ret, name, args) name##_slot,
        ARCHIVE_LAZY_FUNCS(X)
#undef X
                ARCHIVE_LAZY_N_SLOTS
};

#define X(ret, name, args) typedef ret(*name##_fn) args;
ARCHIVE_LAZY_FUNCS(X)
#undef X

extern void *archive_slots[ARCHIVE_LAZY_N_SLOTS];
extern struct lazylib archive_lib;

/* Every call below is only valid while a reference is held (lazylib_acquire). */
#undef archive_read_new
#define archive_read_new ((archive_read_new_fn) archive_slots[archive_read_new_slot])
#undef archive_read_free
#define archive_read_free ((archive_read_free_fn) archive_slots[archive_read_free_slot])
#undef archive_read_support_format_tar
#define archive_read_support_format_tar                                                                                \
        ((archive_read_support_format_tar_fn) archive_slots[archive_read_support_format_tar_slot])
#undef archive_read_support_filter_none
#define archive_read_support_filter_none                                                                               \
        ((archive_read_support_filter_none_fn) archive_slots[archive_read_support_filter_none_slot])
#undef archive_read_open
#define archive_read_open ((archive_read_open_fn) archive_slots[archive_read_open_slot])
#undef archive_read_next_header
#define archive_read_next_header ((archive_read_next_header_fn) archive_slots[archive_read_next_header_slot])
#undef archive_read_data_block
#define archive_read_data_block ((archive_read_data_block_fn) archive_slots[archive_read_data_block_slot])
#undef archive_error_string
#define archive_error_string ((archive_error_string_fn) archive_slots[archive_error_string_slot])
#undef archive_set_error
#define archive_set_error ((archive_set_error_fn) archive_slots[archive_set_error_slot])
#undef archive_entry_hardlink
#define archive_entry_hardlink ((archive_entry_hardlink_fn) archive_slots[archive_entry_hardlink_slot])
#undef archive_entry_hardlink_utf8
#define archive_entry_hardlink_utf8 ((archive_entry_hardlink_utf8_fn) archive_slots[archive_entry_hardlink_utf8_slot])
#undef archive_entry_filetype
#define archive_entry_filetype ((archive_entry_filetype_fn) archive_slots[archive_entry_filetype_slot])
#undef archive_entry_xattr_reset
#define archive_entry_xattr_reset ((archive_entry_xattr_reset_fn) archive_slots[archive_entry_xattr_reset_slot])
#undef archive_entry_xattr_next
#define archive_entry_xattr_next ((archive_entry_xattr_next_fn) archive_slots[archive_entry_xattr_next_slot])
#undef archive_entry_uid
#define archive_entry_uid ((archive_entry_uid_fn) archive_slots[archive_entry_uid_slot])
#undef archive_entry_gid
#define archive_entry_gid ((archive_entry_gid_fn) archive_slots[archive_entry_gid_slot])
#undef archive_entry_symlink
#define archive_entry_symlink ((archive_entry_symlink_fn) archive_slots[archive_entry_symlink_slot])
#undef archive_entry_symlink_utf8
#define archive_entry_symlink_utf8 ((archive_entry_symlink_utf8_fn) archive_slots[archive_entry_symlink_utf8_slot])
#undef archive_entry_size_is_set
#define archive_entry_size_is_set ((archive_entry_size_is_set_fn) archive_slots[archive_entry_size_is_set_slot])
#undef archive_entry_size
#define archive_entry_size ((archive_entry_size_fn) archive_slots[archive_entry_size_slot])
#undef archive_entry_rdevmajor
#define archive_entry_rdevmajor ((archive_entry_rdevmajor_fn) archive_slots[archive_entry_rdevmajor_slot])
#undef archive_entry_rdevminor
#define archive_entry_rdevminor ((archive_entry_rdevminor_fn) archive_slots[archive_entry_rdevminor_slot])
#undef archive_entry_perm
#define archive_entry_perm ((archive_entry_perm_fn) archive_slots[archive_entry_perm_slot])
#undef archive_entry_pathname
#define archive_entry_pathname ((archive_entry_pathname_fn) archive_slots[archive_entry_pathname_slot])
#undef archive_entry_pathname_utf8
#define archive_entry_pathname_utf8 ((archive_entry_pathname_utf8_fn) archive_slots[archive_entry_pathname_utf8_slot])
#undef archive_entry_mtime
#define archive_entry_mtime ((archive_entry_mtime_fn) archive_slots[archive_entry_mtime_slot])
#undef archive_entry_mtime_nsec
#define archive_entry_mtime_nsec ((archive_entry_mtime_nsec_fn) archive_slots[archive_entry_mtime_nsec_slot])
#undef archive_entry_atime
#define archive_entry_atime ((archive_entry_atime_fn) archive_slots[archive_entry_atime_slot])
#undef archive_entry_atime_nsec
#define archive_entry_atime_nsec ((archive_entry_atime_nsec_fn) archive_slots[archive_entry_atime_nsec_slot])
#undef archive_entry_atime_is_set
#define archive_entry_atime_is_set ((archive_entry_atime_is_set_fn) archive_slots[archive_entry_atime_is_set_slot])

#endif
