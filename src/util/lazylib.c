#include "util/lazylib.h"

#include <dlfcn.h>
#include <string.h>

#include "util/log.h"

static int load(struct lazylib *l, struct cric_error **err) {
        l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
        if (!l->handle)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "cannot load %s: %s", l->soname, dlerror());
        for (size_t i = 0; i < l->n; i++) {
                l->slots[i] = dlsym(l->handle, l->names[i]);
                if (!l->slots[i]) {
                        int r = cric_error_set(err, CRIC_E_UNAVAILABLE, "%s has no %s", l->soname, l->names[i]);
                        memset(l->slots, 0, l->n * sizeof(*l->slots));
                        dlclose(l->handle);
                        l->handle = NULL;
                        return r;
                }
        }
        if (l->on_load && l->on_load(err) < 0) {
                memset(l->slots, 0, l->n * sizeof(*l->slots));
                dlclose(l->handle);
                l->handle = NULL;
                return -1;
        }
        log_debug("loaded %s", l->soname);
        return 0;
}

int lazylib_acquire(struct lazylib *l, struct cric_error **err) {
        pthread_mutex_lock(&l->lock);
        int r = l->users == 0 ? load(l, err) : 0;
        if (r == 0)
                l->users++;
        pthread_mutex_unlock(&l->lock);
        return r;
}

void lazylib_release(struct lazylib *l) {
        pthread_mutex_lock(&l->lock);
        if (l->users > 0 && --l->users == 0) {
                if (l->on_unload)
                        l->on_unload();
                memset(l->slots, 0, l->n * sizeof(*l->slots));
                dlclose(l->handle);
                l->handle = NULL;
                log_debug("unloaded %s", l->soname);
        }
        pthread_mutex_unlock(&l->lock);
}
