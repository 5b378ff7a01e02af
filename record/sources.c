/*
 * sources.c - the engine's auxiliary event sources: perf page faults
 * (--faults) and eBPF scheduler / block-I/O latency (--ebpf).
 *
 * Each source runs a reader thread and emits through the engine's locked
 * output (tracer.c). Tasks are handed to the sources only once the header
 * is out (spawn: at the command's first exec; attach: once attached), so no
 * source event ever precedes the header, and compendium's own code between
 * fork and exec is never measured.
 *
 * The I/O fast path (fastpath.h) is started here too, but it is not an
 * event source: it hands recorded syscalls to the engine, which decodes
 * them (engine_fast_call, stops.c). It is on by default when spawning with
 * the seccomp filter and eBPF can load; the header says why it is off
 * otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "record/bpfutil.h"
#include "record/ebpf.h"
#include "record/engine.h"
#include "record/fastpath.h"
#include "record/faults.h"

static void sources_emit(void *ctx, const struct event *ev)
{
	engine_emit(ctx, ev);
}

static void sources_set(struct engine *e, unsigned slot, const char *name, struct source *s)
{
	struct engine_source *es = &e->src[slot];

	es->name = name;
	es->s = s;
	if (es->why[0])
		fprintf(stderr, "compendium: %s\n", es->why);
}

static void sources_start_fastpath(struct engine *e)
{
	struct fastpath_opts fo = {
		.mono_base_ns = e->mono_base_ns, .lock = &e->state_lock,
		.on_call = engine_fast_call, .ctx = e,
	};
	const char *off = e->o->no_fastpath ? "disabled by --no-fastpath"
			: e->attach ? "attaching (-p) stops every syscall: the fast path needs "
				      "the seccomp filter of a spawned command"
			: e->o->no_seccomp ? "disabled by --no-seccomp (the fast path needs the "
					     "seccomp filter)"
			: NULL;

	if (off) {
		snprintf(e->fast_why, sizeof(e->fast_why), "%s", off);
		return;
	}
	e->fast = fastpath_new(&fo, e->fast_why, sizeof(e->fast_why));
}

/* Called from a stop (state_lock held): the reader thread must be able to
 * take the lock while fastpath_stop joins it. No task is in the fast
 * path's map yet (the root's exec has not been announced). */
void engine_fastpath_off(struct engine *e, const char *why)
{
	struct fastpath *f = e->fast;

	if (!f)
		return;
	e->fast = NULL;
	pthread_mutex_unlock(&e->state_lock);
	fastpath_stop(f, (struct source_emit){ sources_emit, e });
	pthread_mutex_lock(&e->state_lock);
	snprintf(e->fast_why, sizeof(e->fast_why), "%s", why);
}

/* Loading the latency programs (~30 ms: libbpf parses the kernel's BTF,
 * the kernel verifies ten programs and looks up their tracepoints) runs on
 * its own thread while this one loads the fast path and opens the perf
 * events. */
struct sources_ebpf_start {
	struct ebpf_opts o;
	struct source_emit emit;
	char *why;
	size_t whylen;
	struct source *s;
};

static void *sources_ebpf_start(void *arg)
{
	struct sources_ebpf_start *st = arg;

	st->s = ebpf_source_new(&st->o, st->emit, st->why, st->whylen);
	return NULL;
}

void engine_sources_start(struct engine *e)
{
	struct source_emit emit = { sources_emit, e };
	struct sources_ebpf_start st = { .emit = emit };
	/* slots in a fixed order: the header lists the sources in it */
	unsigned faults_slot = e->o->faults ? e->nsrc++ : 0;
	unsigned ebpf_slot = e->o->ebpf ? e->nsrc++ : 0;
	bool threaded = false;
	pthread_t t;

	bpfutil_libbpf_messages(e->o->verbose_raw);
	if (e->o->ebpf) {
		ebpf_opts_init(&st.o);
		st.o.mono_base_ns = e->mono_base_ns;
		if (e->o->sched_threshold_ns)
			st.o.sched_threshold_ns = e->o->sched_threshold_ns;
		st.why = e->src[ebpf_slot].why;
		st.whylen = sizeof(e->src[ebpf_slot].why);
		threaded = pthread_create(&t, NULL, sources_ebpf_start, &st) == 0;
	}

	sources_start_fastpath(e);
	if (e->o->faults) {
		struct faults_opts fo = { .mono_base_ns = e->mono_base_ns };
		char *why = e->src[faults_slot].why;

		sources_set(e, faults_slot, FAULTS_SOURCE_NAME,
			    faults_source_new(&fo, emit, why, sizeof(e->src[0].why)));
	}

	if (e->o->ebpf) {
		if (threaded)
			pthread_join(t, NULL);
		else
			sources_ebpf_start(&st);
		sources_set(e, ebpf_slot, "ebpf", st.s);
	}
}

/* eBPF is one source in the engine but two in the header, so that readers
 * can tell which latencies a recording has. */
void engine_sources_header(const struct engine *e, struct rec_header *h)
{
	if (h->nsources < REC_MAX_SOURCES)
		h->sources[h->nsources++] = (struct rec_source){ "fastpath", e->fast != NULL,
								 e->fast ? NULL : e->fast_why };
	for (unsigned i = 0; i < e->nsrc && h->nsources + 2 <= REC_MAX_SOURCES; i++) {
		const struct engine_source *es = &e->src[i];
		const char *why = es->s ? NULL : es->why;

		if (strcmp(es->name, "ebpf") != 0) {
			h->sources[h->nsources++] = (struct rec_source){ es->name, es->s, why };
			continue;
		}
		h->sources[h->nsources++] = (struct rec_source){ "ebpf-sched", es->s, why };
		h->sources[h->nsources++] = (struct rec_source){ "ebpf-block", es->s, why };
	}
}

void engine_sources_task_new(struct engine *e, pid_t tid, pid_t pid)
{
	if (e->fast)
		fastpath_task_new(e->fast, tid, pid);
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i].s)
			e->src[i].s->task_new(e->src[i].s->ctx, tid, pid);
}

void engine_sources_task_gone(struct engine *e, pid_t tid)
{
	if (e->fast)
		fastpath_task_gone(e->fast, tid);
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i].s)
			e->src[i].s->task_gone(e->src[i].s->ctx, tid);
}

/* Each source drains, emits its histograms and losses, and frees itself. */
void engine_sources_stop(struct engine *e)
{
	struct fastpath *f = e->fast;

	e->fast = NULL; /* its why stays empty: it ran */
	fastpath_stop(f, (struct source_emit){ sources_emit, e });
	for (unsigned i = 0; i < e->nsrc; i++) {
		struct source *s = e->src[i].s;

		e->src[i].s = NULL;
		if (s)
			s->stop(s->ctx);
	}
}
