/*
 * noise.h - the display noise rules of the seed tool, in one place.
 *
 * The recording keeps everything; hiding is a display decision made by the
 * terminal printer and the FINAL block (and by the report), and `--all`
 * turns it off. Hidden by default:
 *   - system paths: /proc, /sys, /dev (the directory itself and below);
 *   - dynamic linker files: ld.so / ld-linux* / ld.so.cache /
 *     ld.so.preload, and shared objects (*.so, *.so.N...);
 *   - localhost network peers: 127.0.0.0/8, ::1, ::ffff:127.x.x.x.
 */
#ifndef COMPENDIUM_NOISE_H
#define COMPENDIUM_NOISE_H

#include <stdbool.h>

/* A path the seed hides (NULL is not noise). */
bool noise_path(const char *path);
/* A socket address ("127.0.0.1:53", "[::1]:80") the seed hides. */
bool noise_addr(const char *addr);

#endif
