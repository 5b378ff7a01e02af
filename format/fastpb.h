/*
 * fastpb.h - internal to format/: a hand-written protobuf wire codec for the
 * hottest event kinds (io, fault), byte-identical to protobuf-c's output for
 * the same messages (test_recording checks this for every field). Every other
 * record goes through protobuf-c. It exists because protobuf-c's generic,
 * descriptor-driven pack/unpack costs ~400 ns per event, and a syscall storm
 * produces millions of io events per second.
 */
#ifndef COMPENDIUM_FASTPB_H
#define COMPENDIUM_FASTPB_H

#include "codec.h"

/* Encodes an EV_IO or EV_FAULT event as protobuf-c would. Returns 0, 1 when
 * the kind is not handled here (use the generic path), or -ENOMEM. */
int fastpb_encode_event(struct codec_enc *e, const struct event *ev, struct buf *out);

/* Decodes a Record holding an io or fault event. Returns 0, 1 when the record
 * is something else (nothing consumed: use protobuf-c), or -1 when it is
 * malformed. */
int fastpb_decode_record(struct codec_dec *d, const uint8_t *p, size_t n, struct event *ev);

#endif
