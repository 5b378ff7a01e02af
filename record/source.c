/* source.c - see source.h: the events every source ends with. */
#include "record/source.h"

#include <string.h>

void source_emit_loss(struct source_emit emit, uint64_t ts, const char *source, uint64_t count,
		      const char *reason)
{
	struct event ev;

	if (!count || !emit.fn)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_LOSS;
	ev.sysno = -1;
	ev.ts_ns = ts;
	ev.loss.source = source;
	ev.loss.count = count;
	ev.loss.reason = reason;
	emit.fn(emit.ctx, &ev);
}

void source_emit_note(struct source_emit emit, uint64_t ts, const char *text)
{
	struct event ev;

	if (!emit.fn)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_NOTE;
	ev.sysno = -1;
	ev.ts_ns = ts;
	ev.note.level = NOTE_WARNING;
	ev.note.text = text;
	emit.fn(emit.ctx, &ev);
}
