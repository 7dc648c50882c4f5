/* Container and pod events (GetContainerEvents): each change of state is noted where
 * it happens, under rt->lock, with a snapshot of its pod and the pod's containers (views
 * are cheap there); one thread hands the notes to the subscribers in order.
 *
 * Locks: q_lock guards the queue, the backlog and the subscription flags (taken under
 * rt->lock, never the other way); subs_lock guards the list of subscriptions and is held
 * while the thread calls them. Unsubscribing only flags: the thread drops the
 * subscription and calls its release outside both locks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Changes found while restoring (exits while cricd was down) are kept this long after
 * the start for the subscribers to come (the kubelet subscribes after cricd started). */
#define BACKLOG_MS  (5 * 60 * 1000)
#define BACKLOG_MAX 1024

struct event_rec {
        struct runtime_event ev;
        int refs;        /* q_lock */
        uint64_t seq;    /* the order of the notes, from 1 */
        bool is_restore; /* noted while the runtime was restoring its state */
        struct event_rec *next;
};

struct runtime_subscription {
        runtime_event_fn fn;
        void (*release)(void *arg);
        void *arg;
        bool is_dead, wants_backlog; /* q_lock */
        uint64_t from_seq;           /* the last note before it came: those are not its own */
        struct runtime_subscription *next;
};

struct runtime_events {
        pthread_mutex_t q_lock;
        pthread_cond_t cond;
        struct event_rec *head, *tail;
        struct event_rec **backlog;
        size_t n_backlog;
        int64_t backlog_until_ms; /* 0 while restoring */
        bool is_restoring;
        size_t n_subs; /* live subscriptions */
        bool has_news; /* a subscription came or went */
        uint64_t seq;  /* of the last note */
        bool is_stopping;
        pthread_mutex_t subs_lock;
        struct runtime_subscription *subs;
        pthread_t thread;
};

static const char *type_name(enum runtime_event_type t) {
        switch (t) {
        case RUNTIME_EVENT_CREATED: return "created";
        case RUNTIME_EVENT_STARTED: return "started";
        case RUNTIME_EVENT_STOPPED: return "stopped";
        case RUNTIME_EVENT_DELETED: return "deleted";
        }
        return "?";
}

static void rec_free(struct event_rec *r) {
        pod_view_clear(&r->ev.pod);
        container_views_free(r->ev.ctrs, r->ev.n_ctrs);
        free((char *) r->ev.id);
        free(r);
}

/* Drops a reference (q_lock held); the record is freed outside, by the caller. */
static bool rec_put(struct event_rec *r) {
        return --r->refs == 0;
}

void events_note(struct runtime *rt, enum runtime_event_type type, const char *id, struct pod *p) {
        struct runtime_events *e = rt->events;
        if (!e || !p)
                return;
        pthread_mutex_lock(&e->q_lock);
        bool wanted = e->n_subs > 0 || e->is_restoring;
        pthread_mutex_unlock(&e->q_lock);
        if (!wanted)
                return;
        struct event_rec *r = xzalloc(sizeof(*r));
        r->ev = (struct runtime_event){
                .type = type, .id = xstrdup(id), .is_pod = !strcmp(id, p->info.id), .at_ns = runtime_now_ns()};
        r->ev.pod = pod_view_of(p);
        size_t n = 0;
        for (size_t i = 0; i < rt->ctrs.n; i++)
                n += !strcmp(((struct container *) rt->ctrs.objs[i])->info.pod_id, p->info.id);
        r->ev.ctrs = xcalloc(n + 1, sizeof(*r->ev.ctrs));
        for (size_t i = 0; i < rt->ctrs.n; i++) {
                struct container *c = rt->ctrs.objs[i];
                if (!strcmp(c->info.pod_id, p->info.id))
                        r->ev.ctrs[r->ev.n_ctrs++] = ctr_view(c, true);
        }
        r->refs = 1;
        pthread_mutex_lock(&e->q_lock);
        r->seq = ++e->seq;
        r->is_restore = e->is_restoring;
        if (e->tail)
                e->tail->next = r;
        else
                e->head = r;
        e->tail = r;
        pthread_cond_signal(&e->cond);
        pthread_mutex_unlock(&e->q_lock);
}

void events_note_container(struct runtime *rt, enum runtime_event_type type, struct container *c) {
        if (!rt->events)
                return;
        struct pod *p = index_find(&rt->pods, c->info.pod_id, "pod", NULL);
        events_note(rt, type, c->info.id, p);
}

/* The pod's addresses, as PodSandboxStatus has them (not known under rt->lock for a pod
 * on the host's network). */
static void fill_ips(struct runtime *rt, struct pod_view *v) {
        struct pod *p = (struct pod *) v->info;
        if (!(p->ns & NETNS_NET))
                v->ips = host_ips_copy(rt);
        else if (v->state == POD_READY)
                v->ips = strv_copy(p->ips);
        if (!v->ips)
                v->ips = xcalloc(1, sizeof(char *));
}

static void deliver(struct runtime_subscription *s, struct event_rec *r) {
        s->fn(s->arg, &r->ev);
}

/* One round: new subscriptions get the backlog, everyone the queue; dead ones go. */
static void run_round(struct runtime *rt, struct event_rec *queue) {
        struct runtime_events *e = rt->events;
        for (struct event_rec *r = queue; r; r = r->next)
                if (!r->ev.pod.ips)
                        fill_ips(rt, &r->ev.pod);
        struct runtime_subscription *dead = NULL;
        pthread_mutex_lock(&e->subs_lock);
        for (struct runtime_subscription **sp = &e->subs; *sp;) {
                struct runtime_subscription *s = *sp;
                pthread_mutex_lock(&e->q_lock);
                bool is_dead = s->is_dead, wants_backlog = s->wants_backlog;
                s->wants_backlog = false;
                size_t n = wants_backlog ? e->n_backlog : 0;
                struct event_rec **backlog = n ? xmalloc(n * sizeof(*backlog)) : NULL;
                if (n)
                        memcpy(backlog, e->backlog, n * sizeof(*backlog));
                for (size_t i = 0; i < n; i++)
                        backlog[i]->refs++;
                pthread_mutex_unlock(&e->q_lock);
                if (is_dead) {
                        *sp = s->next;
                        s->next = dead;
                        dead = s;
                        free(backlog);
                        continue;
                }
                for (size_t i = 0; i < n; i++)
                        deliver(s, backlog[i]);
                for (struct event_rec *r = queue; r; r = r->next)
                        if (r->seq > s->from_seq) /* noted after it subscribed */
                                deliver(s, r);
                pthread_mutex_lock(&e->q_lock);
                struct event_rec *gone[BACKLOG_MAX];
                size_t n_gone = 0;
                for (size_t i = 0; i < n; i++)
                        if (rec_put(backlog[i]))
                                gone[n_gone++] = backlog[i];
                pthread_mutex_unlock(&e->q_lock);
                for (size_t i = 0; i < n_gone; i++)
                        rec_free(gone[i]);
                free(backlog);
                sp = &s->next;
        }
        pthread_mutex_unlock(&e->subs_lock);
        while (dead) {
                struct runtime_subscription *s = dead;
                dead = s->next;
                if (s->release)
                        s->release(s->arg);
                free(s);
        }
}

/* Keeps the queue's records in the backlog while it is open (q_lock held); returns
 * those no one keeps, to free. */
static struct event_rec *keep_backlog(struct runtime_events *e, struct event_rec *queue) {
        struct event_rec *drop = NULL;
        bool is_open = e->is_restoring || clock_mono_ms() < e->backlog_until_ms;
        for (struct event_rec *r = queue, *next; r; r = next) {
                next = r->next;
                if (is_open && r->is_restore && e->n_backlog < BACKLOG_MAX) {
                        r->refs++;
                        e->backlog[e->n_backlog++] = r;
                }
                if (rec_put(r)) {
                        r->next = drop;
                        drop = r;
                }
        }
        if (!is_open && e->n_backlog) { /* closed: the backlog goes */
                for (size_t i = 0; i < e->n_backlog; i++)
                        if (rec_put(e->backlog[i])) {
                                e->backlog[i]->next = drop;
                                drop = e->backlog[i];
                        }
                e->n_backlog = 0;
        }
        return drop;
}

static void *events_thread(void *arg) {
        struct runtime *rt = arg;
        struct runtime_events *e = rt->events;
        pthread_mutex_lock(&e->q_lock);
        for (;;) {
                while (!e->head && !e->has_news && !e->is_stopping)
                        pthread_cond_wait(&e->cond, &e->q_lock);
                if (e->is_stopping)
                        break;
                struct event_rec *queue = e->head; /* the thread's now, with the queue's references */
                e->head = e->tail = NULL;
                e->has_news = false;
                pthread_mutex_unlock(&e->q_lock);
                for (struct event_rec *r = queue; r; r = r->next)
                        log_debug("event: %s %s %s", r->ev.is_pod ? "pod" : "container", r->ev.id,
                                  type_name(r->ev.type));
                run_round(rt, queue);
                pthread_mutex_lock(&e->q_lock);
                struct event_rec *drop = keep_backlog(e, queue);
                pthread_mutex_unlock(&e->q_lock);
                while (drop) {
                        struct event_rec *r = drop;
                        drop = r->next;
                        rec_free(r);
                }
                pthread_mutex_lock(&e->q_lock);
        }
        pthread_mutex_unlock(&e->q_lock);
        return NULL;
}

int events_start(struct runtime *rt, struct cric_error **err) {
        struct runtime_events *e = xzalloc(sizeof(*e));
        pthread_mutex_init(&e->q_lock, NULL);
        pthread_mutex_init(&e->subs_lock, NULL);
        pthread_cond_init(&e->cond, NULL);
        e->backlog = xcalloc(BACKLOG_MAX, sizeof(*e->backlog));
        e->is_restoring = true;
        rt->events = e;
        int r = pthread_create(&e->thread, NULL, events_thread, rt);
        if (r != 0) {
                rt->events = NULL;
                free(e->backlog);
                free(e);
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start the events thread");
        }
        return 0;
}

void events_restored(struct runtime *rt) {
        struct runtime_events *e = rt->events;
        pthread_mutex_lock(&e->q_lock);
        e->is_restoring = false;
        e->backlog_until_ms = clock_mono_ms() + BACKLOG_MS;
        pthread_mutex_unlock(&e->q_lock);
}

void events_stop(struct runtime *rt) {
        struct runtime_events *e = rt->events;
        if (!e)
                return;
        pthread_mutex_lock(&e->q_lock);
        e->is_stopping = true;
        pthread_cond_signal(&e->cond);
        pthread_mutex_unlock(&e->q_lock);
        pthread_join(e->thread, NULL);
        rt->events = NULL;
        while (e->subs) {
                struct runtime_subscription *s = e->subs;
                e->subs = s->next;
                if (s->release)
                        s->release(s->arg);
                free(s);
        }
        for (struct event_rec *r = e->head, *next; r; r = next) {
                next = r->next;
                rec_free(r);
        }
        for (size_t i = 0; i < e->n_backlog; i++)
                if (rec_put(e->backlog[i]))
                        rec_free(e->backlog[i]);
        free(e->backlog);
        pthread_cond_destroy(&e->cond);
        pthread_mutex_destroy(&e->subs_lock);
        pthread_mutex_destroy(&e->q_lock);
        free(e);
}

struct runtime_subscription *runtime_events_subscribe(struct runtime *rt, runtime_event_fn fn,
                                                      void (*release)(void *arg), void *arg) {
        struct runtime_events *e = rt->events;
        struct runtime_subscription *s = xzalloc(sizeof(*s));
        *s = (struct runtime_subscription){.fn = fn, .release = release, .arg = arg, .wants_backlog = true};
        pthread_mutex_lock(&e->subs_lock);
        s->next = e->subs;
        e->subs = s;
        pthread_mutex_lock(&e->q_lock);
        s->from_seq = e->seq;
        e->n_subs++;
        e->has_news = true;
        pthread_cond_signal(&e->cond);
        pthread_mutex_unlock(&e->q_lock);
        pthread_mutex_unlock(&e->subs_lock);
        return s;
}

void runtime_events_unsubscribe(struct runtime *rt, struct runtime_subscription *s) {
        struct runtime_events *e = rt->events;
        if (!s || !e)
                return;
        pthread_mutex_lock(&e->q_lock);
        if (!s->is_dead) {
                s->is_dead = true;
                e->n_subs--;
                e->has_news = true;
                pthread_cond_signal(&e->cond);
        }
        pthread_mutex_unlock(&e->q_lock);
}
