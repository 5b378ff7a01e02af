/*
 * json.h - the JSON sink behind `compendium show --json`: one JSON object per
 * line, exactly as README.md's "JSON event stream" specifies (header, events,
 * trailer, end). It is the interface for scripts and for the integration
 * tests, so its keys are a contract: change them only with the README.
 *
 * Strings are escaped with escape_json() (escape.h: control characters as
 * \u00XX, invalid UTF-8 bytes as \udcXX, surrogateescape).
 */
#ifndef COMPENDIUM_JSON_H
#define COMPENDIUM_JSON_H

#include "event.h"
#include "outbuf.h"

struct json_sink {
	struct outbuf *out; /* borrowed; the caller flushes and frees it */
};

/* A sink writing to `js->out`; `js` must outlive the sink. */
struct event_sink json_sink(struct json_sink *js);

/* One event as a JSON object, without the newline (tests, report). */
void json_write_event(struct outbuf *o, const struct event *ev);

#endif
