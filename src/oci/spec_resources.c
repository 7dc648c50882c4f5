/* linux.resources, linux.cgroupsPath and process.oomScoreAdj. */
#include <ctype.h>
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static int check_non_negative(const char *what, int64_t v, struct cric_error **err) {
        if (v < 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s %lld is negative", what, (long long) v);
        return 0;
}

static void add_cpu(const struct oci_resources *res, struct json_object *out) {
        if (!res->cpu_shares && !res->cpu_quota && !res->cpu_period && str_empty(res->cpuset_cpus) &&
            str_empty(res->cpuset_mems))
                return;
        struct json_object *cpu = spec_obj(out, "cpu");
        if (res->cpu_shares)
                jx_add(cpu, "shares", jx_uint64((uint64_t) res->cpu_shares));
        if (res->cpu_quota)
                jx_add(cpu, "quota", jx_int64(res->cpu_quota));
        if (res->cpu_period)
                jx_add(cpu, "period", jx_uint64((uint64_t) res->cpu_period));
        if (!str_empty(res->cpuset_cpus))
                spec_set_str(cpu, "cpus", res->cpuset_cpus);
        if (!str_empty(res->cpuset_mems))
                spec_set_str(cpu, "mems", res->cpuset_mems);
}

/* With no swap limit given, memory+swap = memory, i.e. no swap (containerd's rule,
 * where the controller accounts swap at all). */
static void add_memory(const struct oci_resources *res, const struct oci_host *host, struct json_object *out) {
        if (res->memory_limit_in_bytes <= 0)
                return;
        struct json_object *mem = spec_obj(out, "memory");
        jx_add(mem, "limit", jx_int64(res->memory_limit_in_bytes));
        if (res->memory_swap_limit_in_bytes)
                jx_add(mem, "swap", jx_int64(res->memory_swap_limit_in_bytes));
        else if (host->has_swap_accounting)
                jx_add(mem, "swap", jx_int64(res->memory_limit_in_bytes));
}

/* "<digits><K|M|G|T|P>B", as in the hugetlb.<size>.limit_in_bytes file names. */
static bool is_page_size(const char *s) {
        size_t n = 0;
        while (isdigit((unsigned char) s[n]))
                n++;
        return n > 0 && s[n] && strchr("KMGTP", s[n]) && s[n + 1] == 'B' && !s[n + 2];
}

static int add_hugepages(const struct oci_resources *res, struct json_object *out, struct cric_error **err) {
        if (res->n_hugepage_limits == 0)
                return 0;
        struct json_object *list = jx_array();
        jx_add(out, "hugepageLimits", list);
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
                if (!h->page_size || !is_page_size(h->page_size))
                        return cric_error_set(err, CRIC_E_INVALID, "hugepage size \"%s\" is not like 2MB",
                                              h->page_size ? h->page_size : "");
                struct json_object *e = jx_object();
                spec_set_str(e, "pageSize", h->page_size);
                jx_add(e, "limit", jx_uint64(h->limit));
                jx_append(list, e);
        }
        return 0;
}

static int add_unified(const struct oci_resources *res, const struct oci_host *host, struct json_object *out,
                       struct cric_error **err) {
        if (res->n_unified == 0)
                return 0;
        if (!host->is_cgroup_v2)
                return cric_error_set(err, CRIC_E_INVALID, "unified cgroup settings (%s) need cgroup v2",
                                      res->unified[0].key ? res->unified[0].key : "");
        struct json_object *u = spec_obj(out, "unified");
        for (size_t i = 0; i < res->n_unified; i++) {
                const char *k = res->unified[i].key;
                if (str_empty(k) || strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0)
                        return cric_error_set(err, CRIC_E_INVALID, "unified cgroup key \"%s\" is not a file name",
                                              k ? k : "");
                spec_set_str(u, k, res->unified[i].value ? res->unified[i].value : "");
        }
        return 0;
}

int spec_resources_build(const struct oci_resources *res, const struct oci_host *host, struct json_object *out,
                         struct cric_error **err) {
        if (check_non_negative("cpu_shares", res->cpu_shares, err) < 0 ||
            check_non_negative("cpu_period", res->cpu_period, err) < 0 ||
            check_non_negative("memory_limit_in_bytes", res->memory_limit_in_bytes, err) < 0)
                return -1;
        if (res->cpu_quota < -1)
                return cric_error_set(err, CRIC_E_INVALID, "cpu_quota %lld is negative", (long long) res->cpu_quota);
        if (res->memory_swap_limit_in_bytes < -1)
                return cric_error_set(err, CRIC_E_INVALID, "memory_swap_limit_in_bytes %lld is negative",
                                      (long long) res->memory_swap_limit_in_bytes);
        add_cpu(res, out);
        add_memory(res, host, out);
        if (add_hugepages(res, out, err) < 0 || add_unified(res, host, out, err) < 0)
                return -1;
        return 0;
}

/* cgroupfs: "<parent>/cric-<id>"; systemd: "<slice>:cric:<id>", the runtime's form
 * for a transient scope cric-<id>.scope in that slice. */
int spec_cgroups_path(const struct oci_host *host, const char *parent, const char *id, char **ret,
                      struct cric_error **err) {
        if (host->cgroup_driver == OCI_CGROUP_SYSTEMD) {
                const char *slice = str_empty(parent) ? "system.slice" : parent;
                const char *slash = strrchr(slice, '/');
                if (slash)
                        slice = slash + 1;
                size_t l = strlen(slice);
                if (l <= 6 || strcmp(slice + l - 6, ".slice") != 0)
                        return cric_error_set(
                                err, CRIC_E_INVALID,
                                "cgroup parent \"%s\" is not a systemd slice (the cgroup driver is systemd)", parent);
                *ret = xasprintf("%s:cric:%s", slice, id);
                return 0;
        }
        if (host->cgroup_driver != OCI_CGROUP_CGROUPFS)
                return cric_error_set(err, CRIC_E_INVALID, "unknown cgroup driver %d", host->cgroup_driver);
        const char *p = str_empty(parent) ? "" : parent;
        size_t l = strlen(p);
        while (l > 0 && p[l - 1] == '/')
                l--;
        *ret = xasprintf("%s%.*s/cric-%s", p[0] == '/' || l == 0 ? "" : "/", (int) l, p, id);
        return 0;
}

/* The kernel won't let the daemon lower a child's oom_score_adj below its own without
 * CAP_SYS_RESOURCE, which this daemon may lack; the runtime would fail, so raise it. */
int spec_oom_score_adj(const struct spec_ctx *c, int64_t want, struct cric_error **err) {
        if (want < -1000 || want > 1000)
                return cric_error_set(err, CRIC_E_INVALID, "%s: oom_score_adj %lld is outside -1000..1000", c->what,
                                      (long long) want);
        if (want < c->host->oom_score_adj && !c->in) {
                want = c->host->oom_score_adj; /* the infra process: nothing asked for */
        } else if (want < c->host->oom_score_adj) {
                log_warn("%s: oom_score_adj %lld is below the daemon's own (%d), using %d", c->what, (long long) want,
                         c->host->oom_score_adj, c->host->oom_score_adj);
                want = c->host->oom_score_adj;
        }
        jx_add(c->process, "oomScoreAdj", jx_int64(want));
        return 0;
}

int spec_add_resources(struct spec_ctx *c, struct cric_error **err) {
        struct json_object *res = spec_obj(c->lnx, "resources");
        if (c->in && spec_resources_build(&c->in->resources, c->host, res, err) < 0)
                return cric_error_prefix(err, "%s", c->what);
        spec_add_pids_limit(c, res);
        AUTOFREE char *path = NULL;
        if (spec_cgroups_path(c->host, c->sb->cgroup_parent, c->id, &path, err) < 0)
                return cric_error_prefix(err, "%s", c->what);
        spec_set_str(c->lnx, "cgroupsPath", path);
        return 0;
}

int oci_resources_to_json(const struct oci_resources *res, const struct oci_host *host, char **ret_json,
                          struct cric_error **err) {
        AUTOJSON struct json_object *o = jx_object();
        if (spec_resources_build(res, host, o, err) < 0)
                return -1;
        *ret_json = jx_dump(o, JSON_C_TO_STRING_PLAIN);
        return 0;
}
