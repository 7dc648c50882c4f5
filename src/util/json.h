/* Small JSON helpers on top of json-c. */
#ifndef CRIC_UTIL_JSON_H
#define CRIC_UTIL_JSON_H

/* Returns s as a quoted JSON string literal (with the quotes). Never NULL. */
char *json_quote(const char *s);

#endif
