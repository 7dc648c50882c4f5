/* The CRI names its signals "SIGRTMINPLUS3" and "SIGRTMAXMINUS2" where the usual
 * spelling is "SIGRTMIN+3" and "SIGRTMAX-2"; oci_signal_parse reads the latter. */
#include "server/ctr_signal.h"

#include <stdio.h>
#include <string.h>

#include "oci/oci.h"
#include "util/cleanup.h"

static void usual_name(const char *cri, char *out, size_t size) {
        const char *plus = strstr(cri, "PLUS"), *minus = strstr(cri, "MINUS");
        if (plus)
                snprintf(out, size, "%.*s+%s", (int) (plus - cri), cri, plus + 4);
        else if (minus)
                snprintf(out, size, "%.*s-%s", (int) (minus - cri), cri, minus + 5);
        else
                snprintf(out, size, "%s", cri);
}

int ctr_signal_from_cri(Runtime__V1__Signal s, int *ret, struct cric_error **err) {
        if (s == RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT) {
                *ret = 0;
                return 0;
        }
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&runtime__v1__signal__descriptor, (int) s);
        if (!v)
                return cric_error_set(err, CRIC_E_INVALID, "unknown stop signal %d", (int) s);
        char name[64];
        usual_name(v->name, name, sizeof(name));
        return oci_signal_parse(name, ret, err);
}

Runtime__V1__Signal ctr_signal_to_cri(int signo) {
        if (signo <= 0)
                return RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT;
        const ProtobufCEnumDescriptor *d = &runtime__v1__signal__descriptor;
        for (unsigned i = 0; i < d->n_values; i++) {
                char name[64];
                usual_name(d->values[i].name, name, sizeof(name));
                int n = 0;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (d->values[i].value != 0 && oci_signal_parse(name, &n, &e) == 0 && n == signo)
                        return (Runtime__V1__Signal) d->values[i].value;
        }
        return RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT;
}
