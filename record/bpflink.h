/*
 * bpflink.h - detaching a BPF skeleton's programs.
 *
 * Releasing a link to a tracepoint may wait for an RCU grace period (several
 * milliseconds each, measured here up to 20 ms when two of our objects are
 * attached); one after the other, a skeleton of six programs took ~70 ms at
 * the end of every recording. Released concurrently, the waits overlap.
 */
#ifndef COMPENDIUM_BPFLINK_H
#define COMPENDIUM_BPFLINK_H

struct bpf_object_skeleton;

/* Destroys every attached link of the skeleton (concurrently) and clears
 * the skeleton's pointers, as <name>__detach() does one by one. */
void bpflink_detach_all(struct bpf_object_skeleton *s);

#endif
