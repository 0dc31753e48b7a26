/* schoolgate.gateways._speedups: the gateways' per-request loops, in C.
 *
 * Each function here does exactly what a pure-Python function in the gateways does (named below),
 * byte for byte; the tests run both on the same input and compare. The Python versions are the
 * reference and the fallback: Schoolgate runs without this module, only slower.
 *
 *   parse_lines    <->  schoolgate.gateways.squid.protocol._parse_lines
 *   rewrite_answers <-> schoolgate.gateways.squid.helper._rewrite_answers
 *
 * (The spool writer's loop is schoolgate.activity._speedups.)
 *
 * Where a HelperLine and a Decision keep the fields these loops read is not written here: the Python
 * side passes the field names once, at import, through configure() (protocol.py the HelperLine's,
 * helper.py the Decision's and how many of its first fields a block page address says). A layout that
 * does not fit makes configure() raise RuntimeError, so the import fails loudly instead of answering
 * Squid from the wrong fields.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_buffer.h"

#define LAYOUT_ERROR_PREFIX "schoolgate.gateways._speedups cannot use this layout: "
#include "_layout.h"

/* ---------------------------------------------------------------- the layout, from Python */

/* What parse_lines fills, in this order, and where line_type keeps each (from configure). */
static const char *const LINE_NAMES[] = {"channel", "url", "client_ip", "device", "user", "method"};
#define LINE_FIELDS 6
static Py_ssize_t line_at[LINE_FIELDS];
static int lines_configured = 0;
#define LINE_CHANNEL (line_at[0])
#define LINE_URL (line_at[1])

/* Where a Decision keeps its verdict and host, how many of its first fields a block page address
 * says (verdict .. alert: the prefixes' key), and how many fields it must have at least. */
static Py_ssize_t decision_verdict = 0, decision_host = 0, prefix_fields = 0, decision_needed = 0;
static int decisions_configured = 0;

/* The position of the field called `name` in the tuple `names`, -1 when there is none, -2 on error. */
static Py_ssize_t
position_of(PyObject *names, const char *name)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *item = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(item)) {
            layout_error("field names must be str, not %.100s", Py_TYPE(item)->tp_name);
            return -2;
        }
        if (PyUnicode_CompareWithASCIIString(item, name) == 0) {
            return i;
        }
    }
    return -1;
}

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"line_fields", "decision_fields", "prefix_fields", NULL};
    PyObject *line_names = NULL, *decision_names = NULL;
    Py_ssize_t prefix = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$O!O!n:configure", keywords, &PyTuple_Type, &line_names,
                                     &PyTuple_Type, &decision_names, &prefix)) {
        return NULL;
    }
    if ((decision_names == NULL) != (prefix < 0)) {
        PyErr_SetString(PyExc_TypeError, "decision_fields and prefix_fields are given together");
        return NULL;
    }
    if (line_names != NULL) {
        /* parse_lines makes line_type tuples of exactly these fields, in any order. */
        if (PyTuple_GET_SIZE(line_names) != LINE_FIELDS) {
            return layout_error("a helper line has the fields %s, %s, %s, %s, %s and %s, not %R", LINE_NAMES[0],
                                LINE_NAMES[1], LINE_NAMES[2], LINE_NAMES[3], LINE_NAMES[4], LINE_NAMES[5],
                                line_names);
        }
        Py_ssize_t at[LINE_FIELDS];
        for (int k = 0; k < LINE_FIELDS; k++) {
            at[k] = position_of(line_names, LINE_NAMES[k]);
            if (at[k] == -2) {
                return NULL;
            }
            if (at[k] < 0) {
                return layout_error("the helper line %R has no field %s", line_names, LINE_NAMES[k]);
            }
        }
        memcpy(line_at, at, sizeof(at));
        lines_configured = 1;
    }
    if (decision_names != NULL) {
        Py_ssize_t verdict = position_of(decision_names, "verdict");
        Py_ssize_t host = verdict == -2 ? -2 : position_of(decision_names, "host");
        if (verdict == -2 || host == -2) {
            return NULL;
        }
        if (verdict < 0 || host < 0) {
            return layout_error("a decision needs the fields verdict and host; %R does not have both",
                                decision_names);
        }
        Py_ssize_t count = PyTuple_GET_SIZE(decision_names);
        if (prefix < 1 || prefix > count) {
            return layout_error("a block page address says %zd of the decision's fields, but it has %zd", prefix,
                                count);
        }
        decision_verdict = verdict;
        decision_host = host;
        prefix_fields = prefix;
        decision_needed = count;
        decisions_configured = 1;
    }
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- parse_lines */

/* Where the next field of `line` starts and ends, from `pos`. Squid separates fields with an ASCII
 * space and nothing else (not a tab, not Unicode's other white space: those belong to a URL). */
static int
next_field(int kind, const void *data, Py_ssize_t n, Py_ssize_t *pos, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t i = *pos;
    while (i < n && PyUnicode_READ(kind, data, i) == ' ') {
        i++;
    }
    if (i >= n) {
        *pos = n;
        return 0;
    }
    *start = i;
    while (i < n && PyUnicode_READ(kind, data, i) != ' ') {
        i++;
    }
    *end = i;
    *pos = i;
    return 1;
}

/* 1 when every character from start to end is printable ASCII, or a space where `space` allows it:
 * what Squid writes when it escapes a field. */
static int
is_squid_text(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, int space)
{
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((c < '!' || c > '~') && !(space && c == ' ')) {
            return 0;
        }
    }
    return 1;
}

static int
starts_with(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, const char *prefix)
{
    Py_ssize_t n = (Py_ssize_t)strlen(prefix);
    if (end - start < n) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ(kind, data, start + i) != (Py_UCS4)(unsigned char)prefix[i]) {
            return 0;
        }
    }
    return 1;
}

/* The fields after the channel-ID in Squid's layouts (see protocol.ACL_FIELDS, REWRITE_FIELDS). */
#define ACL_FIELDS 5
#define REWRITE_FIELDS 6

static int
is_ascii_digits(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < '0' || c > '9') {
            return 0;
        }
    }
    return end > start;
}

static int
is_dash(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    return end - start == 1 && PyUnicode_READ(kind, data, start) == '-';
}

static PyObject *
parse_lines(PyObject *module, PyObject *args)
{
    PyObject *lines, *unquote;
    PyTypeObject *line_type;
    int acl, channels, always;
    if (!PyArg_ParseTuple(args, "O!O!pppO:parse_lines", &PyList_Type, &lines, &PyType_Type, &line_type,
                          &acl, &channels, &always, &unquote)) {
        return NULL;
    }
    if (!lines_configured) {
        PyErr_SetString(PyExc_RuntimeError, "schoolgate.gateways._speedups is not configured: "
                                             "schoolgate.gateways.squid.protocol gives it the helper line's "
                                             "fields when it is imported");
        return NULL;
    }
    if (!PyType_IsSubtype(line_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "line_type must be a tuple type");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(lines);
    PyObject *out = PyList_New(count);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "a helper line must be str");
            goto fail;
        }
        /* Held while Python code (unquote) runs, which could otherwise drop the list's reference. */
        Py_INCREF(line);
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t n = PyUnicode_GET_LENGTH(line);
        /* The first five fields (a channel-ID, the URL, client/device, user, method), the last two,
         * and how many there are. */
        Py_ssize_t starts[5], ends[5], last_starts[2] = {0, 0}, last_ends[2] = {0, 0};
        Py_ssize_t pos = 0, start, end, total = 0;
        while (next_field(kind, data, n, &pos, &start, &end)) {
            if (total < 5) {
                starts[total] = start;
                ends[total] = end;
            }
            last_starts[0] = last_starts[1];
            last_ends[0] = last_ends[1];
            last_starts[1] = start;
            last_ends[1] = end;
            total++;
        }
        int found = total < 5 ? (int)total : 5;
        int first = 0; /* the URL's field */
        PyObject *fields[6] = {NULL, NULL, NULL, NULL, NULL, NULL}; /* NULL: None */
        int err = 0;
        if (found && channels &&
            (always || (found > 1 && is_ascii_digits(kind, data, starts[0], ends[0])))) {
            fields[0] = PyUnicode_Substring(line, starts[0], ends[0]);
            err = fields[0] == NULL;
            first = 1;
        }
        /* Is the line as Squid writes it (protocol._in_layout)? If not, nothing in it is read. */
        Py_ssize_t after = total - first; /* fields after the channel-ID */
        int readable = after > 0;
        if (readable && acl) {
            readable = after <= ACL_FIELDS && is_squid_text(kind, data, 0, n, 1);
        }
        else if (readable) {
            if (after > REWRITE_FIELDS && starts_with(kind, data, last_starts[0], last_ends[0], "myip=") &&
                starts_with(kind, data, last_starts[1], last_ends[1], "myport=")) {
                readable = 0;
            }
            for (int k = first + 1; readable && k < found && k <= first + 3; k++) {
                readable = is_squid_text(kind, data, starts[k], ends[k], 0);
            }
        }
        if (err) {
            /* nothing more */
        }
        else if (!readable) {
            fields[1] = PyUnicode_New(0, 0);
            err = fields[1] == NULL;
        }
        else {
            fields[1] = PyUnicode_Substring(line, starts[first], ends[first]);
            err = fields[1] == NULL;
            if (!err && acl) {
                PyObject *unquoted = PyObject_CallOneArg(unquote, fields[1]);
                err = unquoted == NULL;
                if (!err) {
                    Py_SETREF(fields[1], unquoted);
                }
            }
            /* client_ip/device: "-" or nothing on either side of the "/" is None. */
            if (!err && found > first + 1) {
                Py_ssize_t s = starts[first + 1], e = ends[first + 1], slash = e;
                for (Py_ssize_t k = s; k < e; k++) {
                    if (PyUnicode_READ(kind, data, k) == '/') {
                        slash = k;
                        break;
                    }
                }
                if (slash > s && !is_dash(kind, data, s, slash)) {
                    fields[2] = PyUnicode_Substring(line, s, slash);
                    err = fields[2] == NULL;
                }
                if (!err && e > slash + 1 && !is_dash(kind, data, slash + 1, e)) {
                    fields[3] = PyUnicode_Substring(line, slash + 1, e);
                    err = fields[3] == NULL;
                }
            }
            if (!err && found > first + 2) {
                Py_ssize_t s = starts[first + 2], e = ends[first + 2];
                if (!is_dash(kind, data, s, e)) {
                    fields[4] = PyUnicode_Substring(line, s, e);
                    err = fields[4] == NULL;
                    int percent = 0;
                    for (Py_ssize_t k = s; k < e && !percent; k++) {
                        percent = PyUnicode_READ(kind, data, k) == '%';
                    }
                    if (!err && (acl || percent)) {
                        PyObject *unquoted = PyObject_CallOneArg(unquote, fields[4]);
                        err = unquoted == NULL;
                        if (!err) {
                            Py_SETREF(fields[4], unquoted);
                        }
                    }
                }
            }
            if (!err && found > first + 3) {
                Py_ssize_t s = starts[first + 3], e = ends[first + 3];
                if (!is_dash(kind, data, s, e)) {
                    fields[5] = PyUnicode_Substring(line, s, e);
                    err = fields[5] == NULL;
                }
            }
        }
        PyObject *parsed = err ? NULL : line_type->tp_alloc(line_type, LINE_FIELDS);
        if (parsed == NULL) {
            for (int k = 0; k < 6; k++) {
                Py_XDECREF(fields[k]);
            }
            Py_DECREF(line);
            goto fail;
        }
        for (int k = 0; k < LINE_FIELDS; k++) {
            PyTuple_SET_ITEM(parsed, line_at[k], fields[k] != NULL ? fields[k] : Py_NewRef(Py_None));
        }
        PyList_SET_ITEM(out, i, parsed);
        Py_DECREF(line);
    }
    return out;

fail:
    Py_DECREF(out);
    return NULL;
}

/* ---------------------------------------------------------------- rewrite_answers */

static const char BASE64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding. */
static int
buf_put_base64url(Buf *b, const unsigned char *p, Py_ssize_t n)
{
    if (buf_reserve(b, (n + 2) / 3 * 4) < 0) {
        return -1;
    }
    char *o = b->data + b->len;
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = ((unsigned)p[i] << 16) | ((unsigned)p[i + 1] << 8) | p[i + 2];
        *o++ = BASE64URL[(v >> 18) & 63];
        *o++ = BASE64URL[(v >> 12) & 63];
        *o++ = BASE64URL[(v >> 6) & 63];
        *o++ = BASE64URL[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        *o++ = BASE64URL[(v >> 18) & 63];
        *o++ = BASE64URL[(v >> 12) & 63];
    }
    else if (n - i == 2) {
        unsigned v = ((unsigned)p[i] << 16) | ((unsigned)p[i + 1] << 8);
        *o++ = BASE64URL[(v >> 18) & 63];
        *o++ = BASE64URL[(v >> 12) & 63];
        *o++ = BASE64URL[(v >> 6) & 63];
    }
    b->len = o - b->data;
    return 0;
}

/* A str as UTF-8, lone surrogates as the bytes they stand for ("surrogateescape"). */
static int
buf_put_utf8(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, not %.100s", Py_TYPE(s)->tp_name);
        return -1;
    }
    if (PyUnicode_IS_ASCII(s)) {
        return buf_put(b, (const char *)PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s));
    }
    PyObject *encoded = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
    if (encoded == NULL) {
        return -1;
    }
    int err = buf_put(b, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded));
    Py_DECREF(encoded);
    return err;
}

/* The requested URL, cut to `limit` characters, as base64url of its UTF-8 (surrogateescape). */
static int
buf_put_url64(Buf *b, PyObject *url, Py_ssize_t limit)
{
    if (!PyUnicode_Check(url)) {
        PyErr_SetString(PyExc_TypeError, "a URL must be str");
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(url);
    if (PyUnicode_IS_ASCII(url)) {
        return buf_put_base64url(b, PyUnicode_1BYTE_DATA(url), n < limit ? n : limit);
    }
    PyObject *cut = PyUnicode_Substring(url, 0, limit);
    if (cut == NULL) {
        return -1;
    }
    PyObject *encoded = PyUnicode_AsEncodedString(cut, "utf-8", "surrogateescape");
    Py_DECREF(cut);
    if (encoded == NULL) {
        return -1;
    }
    int err = buf_put_base64url(b, (const unsigned char *)PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded));
    Py_DECREF(encoded);
    return err;
}

/* Appends the ASCII str that `callable(line, decision[, head])` returns; 1 if it returned None. */
static int
buf_put_call(Buf *b, PyObject *callable, PyObject *line, PyObject *decision, PyObject *head)
{
    PyObject *got = head == NULL ? PyObject_CallFunctionObjArgs(callable, line, decision, NULL)
                                 : PyObject_CallFunctionObjArgs(callable, line, decision, head, NULL);
    if (got == NULL) {
        return -1;
    }
    if (got == Py_None) {
        Py_DECREF(got);
        return 1;
    }
    int err = buf_put_utf8(b, got);
    Py_DECREF(got);
    return err;
}

static PyObject *
rewrite_answers(PyObject *module, PyObject *args)
{
    PyObject *lines, *decisions, *block, *prefixes, *make_prefix, *finish, *hosts, *special;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!O!OO!OnOO!O:rewrite_answers", &PyList_Type, &lines, &PyList_Type,
                          &decisions, &block, &PyDict_Type, &prefixes, &make_prefix, &limit, &finish,
                          &PyFrozenSet_Type, &hosts, &special)) {
        return NULL;
    }
    if (!lines_configured || !decisions_configured) {
        PyErr_SetString(PyExc_RuntimeError, "schoolgate.gateways._speedups is not configured: "
                                             "schoolgate.gateways.squid.protocol and .helper give it the "
                                             "helper line's and the decision's fields when they are imported");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(lines);
    if (PyList_GET_SIZE(decisions) != count) {
        PyErr_SetString(PyExc_ValueError, "as many decisions as lines are needed");
        return NULL;
    }
    if (limit < 0) {
        PyErr_SetString(PyExc_ValueError, "the URL limit must not be negative");
        return NULL;
    }
    Buf b = {NULL, 0, 0};
    PyObject *line = NULL, *decision = NULL, *prefix = NULL; /* strong while in use */
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i >= PyList_GET_SIZE(lines) || i >= PyList_GET_SIZE(decisions)) {
            PyErr_SetString(PyExc_RuntimeError, "the batch changed while it was answered");
            goto fail;
        }
        Py_XSETREF(line, Py_NewRef(PyList_GET_ITEM(lines, i)));
        Py_XSETREF(decision, Py_NewRef(PyList_GET_ITEM(decisions, i)));
        if (!PyTuple_Check(line) || PyTuple_GET_SIZE(line) != LINE_FIELDS) {
            PyErr_SetString(PyExc_TypeError, "a line must be a HelperLine");
            goto fail;
        }
        if (!PyTuple_Check(decision) || PyTuple_GET_SIZE(decision) < decision_needed) {
            PyErr_SetString(PyExc_TypeError, "a decision must be a Decision");
            goto fail;
        }
        PyObject *channel = PyTuple_GET_ITEM(line, LINE_CHANNEL);
        if (channel != Py_None && (buf_put_utf8(&b, channel) < 0 || buf_put(&b, " ", 1) < 0)) {
            goto fail;
        }
        if (PyTuple_GET_ITEM(decision, decision_verdict) != block) {
            int plain = 1;
            int found = PySet_Contains(hosts, PyTuple_GET_ITEM(decision, decision_host));
            if (found < 0) {
                goto fail;
            }
            if (found) {
                plain = buf_put_call(&b, special, line, decision, NULL);
                if (plain < 0) {
                    goto fail;
                }
            }
            if (plain ? BUF_LITERAL(&b, "OK schoolgate=allow\n") < 0 : buf_put(&b, "\n", 1) < 0) {
                goto fail;
            }
            continue;
        }
        PyObject *key = PyTuple_GetSlice(decision, 0, prefix_fields);
        if (key == NULL) {
            goto fail;
        }
        PyObject *found = PyDict_GetItemWithError(prefixes, key);
        Py_DECREF(key);
        if (found != NULL) {
            Py_XSETREF(prefix, Py_NewRef(found));
        }
        else if (PyErr_Occurred()) {
            goto fail;
        }
        else {
            Py_XSETREF(prefix, PyObject_CallOneArg(make_prefix, decision));
            if (prefix == NULL) {
                goto fail;
            }
        }
        if (BUF_LITERAL(&b, "OK status=302 url=\"") < 0) {
            goto fail;
        }
        Py_ssize_t start = b.len;
        if (buf_put_utf8(&b, prefix) < 0 || buf_put_url64(&b, PyTuple_GET_ITEM(line, LINE_URL), limit) < 0) {
            goto fail;
        }
        /* Who and when, and the signature over the address so far: finish(line, decision, head). */
        PyObject *head = PyUnicode_DecodeUTF8(b.data + start, b.len - start, "surrogateescape");
        if (head == NULL) {
            goto fail;
        }
        int none = buf_put_call(&b, finish, line, decision, head);
        Py_DECREF(head);
        if (none < 0 || BUF_LITERAL(&b, "\" schoolgate=block\n") < 0) {
            goto fail;
        }
    }
    Py_XDECREF(line);
    Py_XDECREF(decision);
    Py_XDECREF(prefix);
    PyObject *result = PyBytes_FromStringAndSize(b.data, b.len);
    PyMem_Free(b.data);
    return result;

fail:
    Py_XDECREF(line);
    Py_XDECREF(decision);
    Py_XDECREF(prefix);
    PyMem_Free(b.data);
    return NULL;
}

/* ---------------------------------------------------------------- the module */

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, line_fields=None, decision_fields=None, prefix_fields=None) -> None\n\n"
     "The layouts the loops read: a HelperLine's field names (for parse_lines and rewrite_answers), and\n"
     "a Decision's with how many of its first fields a block page address says (for rewrite_answers).\n"
     "RuntimeError when a layout does not fit."},
    {"parse_lines", parse_lines, METH_VARARGS,
     "parse_lines(lines, line_type, acl, channels, always, unquote) -> list\n\n"
     "Squid helper lines split into line_type tuples (see protocol._parse_lines)."},
    {"rewrite_answers", rewrite_answers, METH_VARARGS,
     "rewrite_answers(lines, decisions, block, prefixes, make_prefix, limit, finish, hosts, special) -> bytes\n\n"
     "The url_rewrite answers to one batch (see helper.rewrite_answers)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "schoolgate.gateways._speedups",
    .m_doc = "The gateways' per-request loops in C; each has a pure-Python twin it must match.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
