/* The CRI Signal enum <-> signal numbers. Private to server/. */
#ifndef CRIC_SERVER_CTR_SIGNAL_H
#define CRIC_SERVER_CTR_SIGNAL_H

#include "cri.pb-c.h"
#include "util/error.h"

/* 0 for RUNTIME_DEFAULT; CRIC_E_INVALID for a value outside the enum. */
int ctr_signal_from_cri(Runtime__V1__Signal s, int *ret, struct cric_error **err);
/* RUNTIME_DEFAULT for 0 and for numbers the enum does not name. */
Runtime__V1__Signal ctr_signal_to_cri(int signo);

#endif
