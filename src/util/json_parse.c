/* The strict JSON parser (the rules are in util/json.h). */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

/* "<what>: ", or "" without a what, in front of the messages. */
#define WHAT_FMT     "%s%s"
#define WHAT_ARGS(w) ((w) ? (w) : ""), ((w) && *(w) ? ": " : "")

/* Outside strings JSON has structure, whitespace, numbers and true/false/null. */
static bool is_bare_byte(const char *data, size_t len, size_t i) {
        unsigned char c = (unsigned char) data[i];
        if (c == '.') /* a digit must follow: json-c takes "1." */
                return i + 1 < len && data[i + 1] >= '0' && data[i + 1] <= '9';
        return c && strchr(" \t\r\n{}[],:0123456789+-eEtrufalsn", c);
}

/* The offset of the first byte json-c would take although RFC 8259 does not, or len:
 * a NUL (json-c stops there and reports success for what came before), a control
 * character inside a string, NaN and Infinity (json-c takes them even when strict).
 * The tokener finds every other error itself; *ret_why says what is wrong. */
static size_t find_bad_byte(const char *data, size_t len, const char **ret_why) {
        bool in_string = false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) data[i];
                if (c == '\0') {
                        *ret_why = "NUL byte";
                        return i;
                }
                if (in_string && c < 0x20) {
                        *ret_why = "control character in a string";
                        return i;
                }
                if (!in_string && c != '"' && !is_bare_byte(data, len, i)) {
                        *ret_why = "unexpected character";
                        return i;
                }
                if (in_string && c == '\\' && i + 1 < len && (unsigned char) data[i + 1] >= 0x20)
                        i++; /* an escaped quote does not end the string */
                else if (c == '"')
                        in_string = !in_string;
        }
        return len;
}

static int parse(const char *data, size_t len, const char *what, bool is_object, struct json_object **ret,
                 struct cric_error **err) {
        if (len > INT_MAX)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON: too large (%zu bytes)",
                                      WHAT_ARGS(what), len);
        if (len == 0 || !data)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON: unexpected end of input",
                                      WHAT_ARGS(what));
        const char *why = NULL;
        size_t bad = find_bad_byte(data, len, &why);
        if (bad < len)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON at byte %zu: %s", WHAT_ARGS(what),
                                      bad, why);
        struct json_tokener *tok = json_tokener_new_ex(JSON_PARSE_MAX_DEPTH);
        if (!tok) {
                fprintf(stderr, "cric: out of memory in json-c, aborting\n");
                abort();
        }
        /* STRICT: RFC 8259 only. VALIDATE_UTF8: the strings end up in logs, labels and
         * CRI replies, and protobuf strings must be UTF-8. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        AUTOJSON struct json_object *obj = json_tokener_parse_ex(tok, data, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_continue) {
                /* A top-level number is complete only at a terminator: feed one. Anything
                 * else still open fails on it, at the end of the input. */
                obj = json_tokener_parse_ex(tok, "", 1);
                jerr = json_tokener_get_error(tok);
                end = len;
        }
        json_tokener_free(tok);
        if (jerr != json_tokener_success && end >= len)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON: unexpected end of input",
                                      WHAT_ARGS(what));
        if (jerr != json_tokener_success)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON at byte %zu: %s", WHAT_ARGS(what),
                                      end, json_tokener_error_desc(jerr));
        if (end < len)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "invalid JSON at byte %zu: data after the document",
                                      WHAT_ARGS(what), end);
        if (is_object && !json_object_is_type(obj, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "the document is not a JSON object",
                                      WHAT_ARGS(what));
        if (!obj)
                return cric_error_set(err, CRIC_E_INVALID, WHAT_FMT "the document is null", WHAT_ARGS(what));
        *ret = STEAL_PTR(obj);
        return 0;
}

int json_parse_strict(const char *data, size_t len, const char *what, struct json_object **ret,
                      struct cric_error **err) {
        return parse(data, len, what, false, ret, err);
}

int json_parse_object(const char *data, size_t len, const char *what, struct json_object **ret,
                      struct cric_error **err) {
        return parse(data, len, what, true, ret, err);
}
