/* What Schoolgate's C loops (activity/_speedups.c, gateways/_speedups.c) share to learn a field layout
 * from Python: the layouts are given by `configure` at import, so a layout that does not fit must say
 * why in one RuntimeError, naming the module, rather than let a loop read the wrong field.
 *
 * Define LAYOUT_ERROR_PREFIX (the start of the message, module name included) before including this.
 */
#ifndef SCHOOLGATE_LAYOUT_H
#define SCHOOLGATE_LAYOUT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdarg.h>

#ifndef LAYOUT_ERROR_PREFIX
#error "define LAYOUT_ERROR_PREFIX before including _layout.h"
#endif

/* Set RuntimeError: LAYOUT_ERROR_PREFIX and the message made from `format` (PyUnicode_FromFormat's
 * codes); always returns NULL, so that `return layout_error(...)` ends a failing call. */
static PyObject *
layout_error(const char *format, ...)
{
    va_list vargs;
    va_start(vargs, format);
    PyObject *message = PyUnicode_FromFormatV(format, vargs);
    va_end(vargs);
    if (message != NULL) {
        PyErr_Format(PyExc_RuntimeError, LAYOUT_ERROR_PREFIX "%U", message);
        Py_DECREF(message);
    }
    return NULL;
}

#endif /* SCHOOLGATE_LAYOUT_H */
