/* schoolgate.activity._speedups: the spool writer's per-event loop, in C.
 *
 *   format_events  <->  schoolgate.activity.spool.SpoolWriter._format_events
 *
 * It does exactly what the pure-Python twin does, byte for byte; the tests run both on the same input
 * and compare. The Python version is the reference and the fallback: Schoolgate runs without this
 * module, only slower.
 *
 * Nothing here knows the event's fields. schoolgate.activity.spool calls configure() once, at import,
 * with the layout that schoolgate.activity.schema names: which of the engine's Decision fields an
 * outcome fixes, and each per-request field of an event (its JSON key, and whether it is read from the
 * request or from the decision, by name). A new event field is written once, in the schema. A layout
 * that does not fit (a name the Decision does not have, a key that JSON would have to escape) makes
 * configure() raise RuntimeError, so the import fails loudly instead of writing wrong events.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_buffer.h"

#define LAYOUT_ERROR_PREFIX "schoolgate.activity._speedups cannot write this event layout: "
#include "_layout.h"

/* Text that is ASCII by construction (made by the Python side): copied as it is. */
static int
buf_put_ascii(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s) || !PyUnicode_IS_ASCII(s)) {
        PyErr_SetString(PyExc_ValueError, "expected ASCII text");
        return -1;
    }
    return buf_put(b, (const char *)PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s));
}

/* ---------------------------------------------------------------- JSON strings */

static const char HEX[] = "0123456789abcdef";

/* 1 when an ASCII character goes into a JSON string as it is (json.encoder's S_CHAR). */
static unsigned char PLAIN[128];

static char *
escape_char(Py_UCS4 c, char *o)
{
    *o++ = '\\';
    switch (c) {
    case '\\': *o++ = '\\'; return o;
    case '"': *o++ = '"'; return o;
    case '\b': *o++ = 'b'; return o;
    case '\f': *o++ = 'f'; return o;
    case '\n': *o++ = 'n'; return o;
    case '\r': *o++ = 'r'; return o;
    case '\t': *o++ = 't'; return o;
    default:
        break;
    }
    if (c >= 0x10000) { /* a UTF-16 surrogate pair */
        Py_UCS4 v = c - 0x10000;
        Py_UCS4 high = 0xd800 | ((v >> 10) & 0x3ff);
        c = 0xdc00 | (v & 0x3ff);
        *o++ = 'u';
        *o++ = HEX[(high >> 12) & 0xf];
        *o++ = HEX[(high >> 8) & 0xf];
        *o++ = HEX[(high >> 4) & 0xf];
        *o++ = HEX[high & 0xf];
        *o++ = '\\';
    }
    *o++ = 'u';
    *o++ = HEX[(c >> 12) & 0xf];
    *o++ = HEX[(c >> 8) & 0xf];
    *o++ = HEX[(c >> 4) & 0xf];
    *o++ = HEX[c & 0xf];
    return o;
}

/* A str as a JSON string of ASCII characters: what json.encoder.encode_basestring_ascii makes. */
static int
buf_put_json(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "an event field must be str, not %.100s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    if (n > (PY_SSIZE_T_MAX - 2) / 12 || buf_reserve(b, 2 + n * (kind == PyUnicode_4BYTE_KIND ? 12 : 6)) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return -1;
    }
    char *o = b->data + b->len;
    *o++ = '"';
    if (PyUnicode_IS_ASCII(s)) {
        const unsigned char *p = PyUnicode_1BYTE_DATA(s);
        Py_ssize_t i = 0;
        while (i < n) {
            /* Copy a run of plain characters in one go. */
            Py_ssize_t start = i;
            while (i < n && PLAIN[p[i]]) {
                i++;
            }
            if (i > start) {
                memcpy(o, p + start, (size_t)(i - start));
                o += i - start;
            }
            if (i < n) {
                o = escape_char(p[i], o);
                i++;
            }
        }
    }
    else {
        const void *data = PyUnicode_DATA(s);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128 && PLAIN[c]) {
                *o++ = (char)c;
            }
            else {
                o = escape_char(c, o);
            }
        }
    }
    *o++ = '"';
    b->len = o - b->data;
    return 0;
}

/* ---------------------------------------------------------------- the layout, from Python */

#define MAX_EVENT_FIELDS 32
#define MAX_KEY 64

typedef struct {
    char key[MAX_KEY + 4];  /* `,"key":` */
    Py_ssize_t key_len;
    int from_decision;      /* else from the request */
    Py_ssize_t at;          /* the decision's field position, or the request layout's index */
    int required;           /* written even when None (and then a TypeError: it must be str) */
} EventField;

static int configured = 0;
static Py_ssize_t outcome_fields = 0;   /* the Decision's first fields, which an outcome fixes */
static Py_ssize_t decision_needed = 0;  /* a Decision must have at least this many fields */
static Py_ssize_t request_fields = 0;   /* how many positions a request layout gives */
static EventField event_fields[MAX_EVENT_FIELDS];
static Py_ssize_t event_field_count = 0;
/* How many format_events calls are running: define() is Python code, and a configure() made from it
 * would change the layout under a loop that has already checked its requests against the old one
 * (reading a tuple past its end). configure() refuses while any is running. */
static int formatting = 0;

/* The position of `name` in the tuple of str `names`, or -1. */
static Py_ssize_t
position_of(PyObject *names, PyObject *name)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        int same = PyUnicode_Compare(PyTuple_GET_ITEM(names, i), name);
        if (same == -1 && PyErr_Occurred()) {
            return -2;
        }
        if (same == 0) {
            return i;
        }
    }
    return -1;
}

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"decision_fields", "outcome_fields", "event_fields", NULL};
    PyObject *decision_names, *fields;
    Py_ssize_t outcome;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$O!nO!:configure", keywords, &PyTuple_Type, &decision_names,
                                     &outcome, &PyTuple_Type, &fields)) {
        return NULL;
    }
    if (formatting) {
        return layout_error("the layout cannot change while events are being formatted");
    }
    Py_ssize_t decision_count = PyTuple_GET_SIZE(decision_names);
    for (Py_ssize_t i = 0; i < decision_count; i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(decision_names, i))) {
            return layout_error("decision_fields must name the Decision's fields as str");
        }
    }
    if (outcome < 1 || outcome > decision_count) {
        return layout_error("an outcome fixes %zd of the Decision's fields, but it has %zd", outcome,
                            decision_count);
    }
    Py_ssize_t count = PyTuple_GET_SIZE(fields);
    if (count < 1 || count > MAX_EVENT_FIELDS) {
        return layout_error("an event has from 1 to %d per-request fields, not %zd", MAX_EVENT_FIELDS, count);
    }
    EventField made[MAX_EVENT_FIELDS];
    Py_ssize_t needed = outcome, requests = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *field = PyTuple_GET_ITEM(fields, i);
        PyObject *key, *source, *name;
        int required;
        if (!PyTuple_Check(field) ||
            !PyArg_ParseTuple(field, "UUUp;an event field is (key, 'request' or 'decision', name, required)",
                              &key, &source, &name, &required)) {
            if (!PyErr_Occurred()) {
                return layout_error("event field %zd is not (key, 'request' or 'decision', name, required)", i);
            }
            return NULL;
        }
        Py_ssize_t key_len = PyUnicode_GET_LENGTH(key);
        if (!PyUnicode_IS_ASCII(key) || key_len < 1 || key_len > MAX_KEY) {
            return layout_error("the event key %R is not 1 to %d ASCII characters", key, MAX_KEY);
        }
        const char *key_data = (const char *)PyUnicode_1BYTE_DATA(key);
        for (Py_ssize_t k = 0; k < key_len; k++) {
            if (!PLAIN[(unsigned char)key_data[k]]) {
                return layout_error("the event key %R holds a character JSON must escape", key);
            }
        }
        for (Py_ssize_t j = 0; j < i; j++) {
            if (made[j].key_len == key_len + 4 && memcmp(made[j].key + 2, key_data, (size_t)key_len) == 0) {
                return layout_error("the event key %R is named twice", key);
            }
        }
        EventField *f = &made[i];
        f->key[0] = ',';
        f->key[1] = '"';
        memcpy(f->key + 2, key_data, (size_t)key_len);
        f->key[key_len + 2] = '"';
        f->key[key_len + 3] = ':';
        f->key_len = key_len + 4;
        f->required = required;
        if (PyUnicode_CompareWithASCIIString(source, "decision") == 0) {
            Py_ssize_t at = position_of(decision_names, name);
            if (at == -2) {
                return NULL;
            }
            if (at < 0) {
                return layout_error("the event key %R reads the decision's %R, which Decision does not have "
                                    "(its fields: %R)", key, name, decision_names);
            }
            f->from_decision = 1;
            f->at = at;
            if (at + 1 > needed) {
                needed = at + 1;
            }
        }
        else if (PyUnicode_CompareWithASCIIString(source, "request") == 0) {
            f->from_decision = 0;
            f->at = requests++;
        }
        else {
            return layout_error("the event key %R is read from %R: only 'request' or 'decision'", key, source);
        }
    }
    memcpy(event_fields, made, sizeof(EventField) * (size_t)count);
    event_field_count = count;
    outcome_fields = outcome;
    decision_needed = needed;
    request_fields = requests;
    configured = 1;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- format_events */

static PyObject *
format_events(PyObject *module, PyObject *args)
{
    PyObject *head, *requests, *layout, *decisions, *outcomes, *define;
    PyTypeObject *request_type;
    if (!PyArg_ParseTuple(args, "UO!O!O!O!O!O:format_events", &head, &PyList_Type, &requests, &PyType_Type,
                          &request_type, &PyTuple_Type, &layout, &PyList_Type, &decisions, &PyDict_Type,
                          &outcomes, &define)) {
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError,
                        "schoolgate.activity._speedups is not configured: schoolgate.activity.spool calls "
                        "configure() with the schema's layout when it is imported");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(head)) {
        PyErr_SetString(PyExc_ValueError, "the event head must be ASCII");
        return NULL;
    }
    /* Where a request of request_type keeps each of the schema's request fields, in their order. */
    Py_ssize_t at[MAX_EVENT_FIELDS];
    Py_ssize_t needed = 0;
    if (PyTuple_GET_SIZE(layout) != request_fields) {
        PyErr_Format(PyExc_ValueError, "layout must give %zd positions", request_fields);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < request_fields; k++) {
        at[k] = PyLong_AsSsize_t(PyTuple_GET_ITEM(layout, k));
        if (at[k] < 0) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "layout positions must not be negative");
            }
            return NULL;
        }
        if (at[k] + 1 > needed) {
            needed = at[k] + 1;
        }
    }
    Py_ssize_t count = PyList_GET_SIZE(requests);
    if (PyList_GET_SIZE(decisions) != count) {
        PyErr_SetString(PyExc_ValueError, "as many decisions as requests are needed");
        return NULL;
    }
    const char *head_data = (const char *)PyUnicode_1BYTE_DATA(head);
    Py_ssize_t head_len = PyUnicode_GET_LENGTH(head);

    formatting++;
    Buf b = {NULL, 0, 0};
    PyObject *last = NULL;     /* the previous decision (strong) */
    PyObject *last_end = NULL; /* how its event ended (strong) */
    PyObject *request = NULL;  /* the request being formatted (strong) */
    for (Py_ssize_t i = 0; i < count; i++) {
        /* The lists may not change under us: define() is Python code, so look items up each time. */
        if (i >= PyList_GET_SIZE(requests) || i >= PyList_GET_SIZE(decisions)) {
            PyErr_SetString(PyExc_RuntimeError, "the batch changed while it was formatted");
            goto fail;
        }
        PyObject *r = PyList_GET_ITEM(requests, i);
        PyObject *d = PyList_GET_ITEM(decisions, i);
        if (Py_TYPE(r) != request_type || !PyTuple_Check(r) || PyTuple_GET_SIZE(r) < needed) {
            PyErr_SetString(PyExc_TypeError, "every request must be a request_type tuple with the layout's fields");
            goto fail;
        }
        Py_XSETREF(request, Py_NewRef(r)); /* held: define() is Python code */
        if (!PyTuple_Check(d) || PyTuple_GET_SIZE(d) < decision_needed) {
            PyErr_SetString(PyExc_TypeError, "a decision must be a Decision");
            goto fail;
        }
        /* The outcome: the same objects as the previous decision's (the common case), else the dict. */
        PyObject *end = NULL;
        if (last != NULL) {
            int same = 1;
            for (Py_ssize_t k = 0; k < outcome_fields; k++) {
                if (PyTuple_GET_ITEM(d, k) != PyTuple_GET_ITEM(last, k)) {
                    same = 0;
                    break;
                }
            }
            if (same) {
                end = last_end;
            }
        }
        Py_INCREF(d);
        if (end != NULL) {
            Py_INCREF(end);
        }
        else {
            PyObject *key = PyTuple_GetSlice(d, 0, outcome_fields);
            if (key == NULL) {
                Py_DECREF(d);
                goto fail;
            }
            end = PyDict_GetItemWithError(outcomes, key);
            Py_DECREF(key);
            if (end != NULL) {
                Py_INCREF(end);
            }
            else if (PyErr_Occurred()) {
                Py_DECREF(d);
                goto fail;
            }
            else {
                /* A new outcome: define() numbers it and gives (its line, how its events end). */
                PyObject *made = PyObject_CallOneArg(define, d);
                if (made == NULL) {
                    Py_DECREF(d);
                    goto fail;
                }
                if (!PyTuple_Check(made) || PyTuple_GET_SIZE(made) != 2) {
                    Py_DECREF(made);
                    Py_DECREF(d);
                    PyErr_SetString(PyExc_TypeError, "define() must return (line, end)");
                    goto fail;
                }
                if (buf_put_ascii(&b, PyTuple_GET_ITEM(made, 0)) < 0) {
                    Py_DECREF(made);
                    Py_DECREF(d);
                    goto fail;
                }
                end = PyTuple_GET_ITEM(made, 1);
                Py_INCREF(end);
                Py_DECREF(made);
            }
        }
        Py_XSETREF(last, d);
        Py_XSETREF(last_end, end);
        if (!PyUnicode_Check(end) || !PyUnicode_IS_ASCII(end)) {
            PyErr_SetString(PyExc_ValueError, "an event end must be ASCII text");
            goto fail;
        }
        if (buf_put(&b, head_data, head_len) < 0) {
            goto fail;
        }
        for (Py_ssize_t k = 0; k < event_field_count; k++) {
            const EventField *f = &event_fields[k];
            PyObject *value = f->from_decision ? PyTuple_GET_ITEM(d, f->at) : PyTuple_GET_ITEM(r, at[f->at]);
            if (value == Py_None && !f->required) {
                continue;
            }
            if (buf_put(&b, f->key, f->key_len) < 0 || buf_put_json(&b, value) < 0) {
                goto fail;
            }
        }
        if (buf_put(&b, (const char *)PyUnicode_1BYTE_DATA(end), PyUnicode_GET_LENGTH(end)) < 0) {
            goto fail;
        }
    }
    formatting--;
    Py_XDECREF(last);
    Py_XDECREF(last_end);
    Py_XDECREF(request);
    PyObject *result = PyBytes_FromStringAndSize(b.data, b.len);
    PyMem_Free(b.data);
    return result;

fail:
    formatting--;
    Py_XDECREF(last);
    Py_XDECREF(last_end);
    Py_XDECREF(request);
    PyMem_Free(b.data);
    return NULL;
}

/* ---------------------------------------------------------------- the module */

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, decision_fields, outcome_fields, event_fields) -> None\n\n"
     "The event layout (see schoolgate.activity.schema): the Decision's field names, how many of its\n"
     "first fields an outcome fixes, and each per-request event field as (key, 'request' or 'decision',\n"
     "name, required). RuntimeError when the layout does not fit."},
    {"format_events", format_events, METH_VARARGS,
     "format_events(head, requests, request_type, layout, decisions, outcomes, define) -> bytes\n\n"
     "The spool lines of one batch (see SpoolWriter._format_events)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "schoolgate.activity._speedups",
    .m_doc = "The spool writer's per-event loop in C; it has a pure-Python twin it must match.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (int c = 0; c < 128; c++) {
        PLAIN[c] = c >= ' ' && c <= '~' && c != '\\' && c != '"';
    }
    return PyModule_Create(&module);
}
