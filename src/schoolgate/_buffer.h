/* A growing byte buffer, shared by Schoolgate's C loops (activity/_speedups.c, gateways/_speedups.c).
 *
 * Each loop builds the bytes of a whole batch (its spool lines, its answers to Squid) in one buffer and
 * hands them to Python in one bytes object: one allocation per batch instead of one per line.
 */
#ifndef SCHOOLGATE_BUFFER_H
#define SCHOOLGATE_BUFFER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buf;

/* Room for `extra` more bytes, or -1 with MemoryError set. */
static inline int
buf_reserve(Buf *b, Py_ssize_t extra)
{
    if (extra < 0 || b->len > PY_SSIZE_T_MAX - extra) {
        PyErr_NoMemory();
        return -1;
    }
    if (b->len + extra <= b->cap) {
        return 0;
    }
    Py_ssize_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + extra) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, (size_t)cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline int
buf_put(Buf *b, const char *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, s, (size_t)n);
    }
    b->len += n;
    return 0;
}

#define BUF_LITERAL(b, s) buf_put((b), (s), (Py_ssize_t)(sizeof(s) - 1))

#endif /* SCHOOLGATE_BUFFER_H */
