/*
 * sources.c - the engine's auxiliary event sources: perf page faults
 * (--faults) and eBPF scheduler / block-I/O latency (--ebpf).
 *
 * Each source runs a reader thread and emits through the engine's locked
 * output (tracer.c). Tasks are handed to the sources only once the header
 * is out (spawn: at the command's first exec; attach: once attached), so no
 * source event ever precedes the header, and compendium's own code between
 * fork and exec is never measured.
 */
#include <stdio.h>
#include <string.h>

#include "record/ebpf.h"
#include "record/engine.h"
#include "record/faults.h"

static void sources_emit(void *ctx, const struct event *ev)
{
	engine_emit(ctx, ev);
}

static void sources_add(struct engine *e, const char *name, struct source *s)
{
	struct engine_source *es = &e->src[e->nsrc++];

	es->name = name;
	es->s = s;
	if (es->why[0])
		fprintf(stderr, "compendium: %s\n", es->why);
}

void engine_sources_start(struct engine *e)
{
	struct source_emit emit = { sources_emit, e };

	if (e->o->faults) {
		struct faults_opts fo = { .mono_base_ns = e->mono_base_ns };
		char *why = e->src[e->nsrc].why;

		sources_add(e, FAULTS_SOURCE_NAME,
			    faults_source_new(&fo, emit, why, sizeof(e->src[0].why)));
	}
	if (e->o->ebpf) {
		struct ebpf_opts eo;
		char *why = e->src[e->nsrc].why;

		ebpf_opts_init(&eo);
		eo.mono_base_ns = e->mono_base_ns;
		if (e->o->sched_threshold_ns)
			eo.sched_threshold_ns = e->o->sched_threshold_ns;
		sources_add(e, "ebpf", ebpf_source_new(&eo, emit, why, sizeof(e->src[0].why)));
	}
}

/* eBPF is one source in the engine but two in the header, so that readers
 * can tell which latencies a recording has. */
void engine_sources_header(const struct engine *e, struct rec_header *h)
{
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
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i].s)
			e->src[i].s->task_new(e->src[i].s->ctx, tid, pid);
}

void engine_sources_task_gone(struct engine *e, pid_t tid)
{
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i].s)
			e->src[i].s->task_gone(e->src[i].s->ctx, tid);
}

/* Each source drains, emits its histograms and losses, and frees itself. */
void engine_sources_stop(struct engine *e)
{
	for (unsigned i = 0; i < e->nsrc; i++) {
		struct source *s = e->src[i].s;

		e->src[i].s = NULL;
		if (s)
			s->stop(s->ctx);
	}
}
