/* schoolgate.gateways._speedups: the gateways' per-request loops, in C.
 *
 * Each function here does exactly what a pure-Python function in the gateways does (named below),
 * byte for byte; the tests run both on the same input and compare. The Python versions are the
 * reference and the fallback: Schoolgate runs without this module, only slower.
 *
 *   format_events  <->  schoolgate.gateways.spool.SpoolWriter._format_events
 *   parse_lines    <->  schoolgate.gateways.squid.protocol._parse_lines
 *   rewrite_answers <-> schoolgate.gateways.squid.helper._rewrite_answers
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* ---------------------------------------------------------------- a growing byte buffer */

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buf;

static int
buf_reserve(Buf *b, Py_ssize_t extra)
{
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

static int
buf_put(Buf *b, const char *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

#define BUF_LITERAL(b, s) buf_put((b), (s), (Py_ssize_t)(sizeof(s) - 1))

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
            memcpy(o, p + start, (size_t)(i - start));
            o += i - start;
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

/* ---------------------------------------------------------------- format_events */

/* Where a Decision keeps what an event reads (schoolgate.engine.decide.Decision's field order). */
#define OUTCOME_FIELDS 10 /* verdict .. source: the fields an outcome fixes */
#define DECISION_ENTRY 11
#define DECISION_HOST 12
#define DECISION_FIELDS 13

/* Put `"name":<json>,` when value is not None. */
static int
put_named(Buf *b, const char *name_colon, Py_ssize_t name_len, PyObject *value, int comma_after)
{
    if (value == Py_None) {
        return 0;
    }
    if (!comma_after && buf_put(b, ",", 1) < 0) {
        return -1;
    }
    if (buf_put(b, name_colon, name_len) < 0 || buf_put_json(b, value) < 0) {
        return -1;
    }
    if (comma_after && buf_put(b, ",", 1) < 0) {
        return -1;
    }
    return 0;
}

#define PUT_NAMED(b, lit, value, comma_after) \
    put_named((b), (lit), (Py_ssize_t)(sizeof(lit) - 1), (value), (comma_after))

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
    if (!PyUnicode_IS_ASCII(head)) {
        PyErr_SetString(PyExc_ValueError, "the event head must be ASCII");
        return NULL;
    }
    /* Positions in a request of: user, client_ip, device, method, url. */
    Py_ssize_t at[5];
    Py_ssize_t needed = 0;
    if (PyTuple_GET_SIZE(layout) != 5) {
        PyErr_SetString(PyExc_ValueError, "layout must give 5 positions");
        return NULL;
    }
    for (int k = 0; k < 5; k++) {
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
        if (!PyTuple_Check(d) || PyTuple_GET_SIZE(d) < DECISION_FIELDS) {
            PyErr_SetString(PyExc_TypeError, "a decision must be a Decision");
            goto fail;
        }
        /* The outcome: the same objects as the previous decision's (the common case), else the dict. */
        PyObject *end = NULL;
        if (last != NULL) {
            int same = 1;
            for (int k = 0; k < OUTCOME_FIELDS; k++) {
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
            PyObject *key = PyTuple_GetSlice(d, 0, OUTCOME_FIELDS);
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
        if (buf_put(&b, head_data, head_len) < 0 ||
            PUT_NAMED(&b, "\"user\":", PyTuple_GET_ITEM(r, at[0]), 1) < 0 ||
            PUT_NAMED(&b, "\"ip\":", PyTuple_GET_ITEM(r, at[1]), 1) < 0 ||
            PUT_NAMED(&b, "\"device\":", PyTuple_GET_ITEM(r, at[2]), 1) < 0 ||
            PUT_NAMED(&b, "\"method\":", PyTuple_GET_ITEM(r, at[3]), 1) < 0 ||
            BUF_LITERAL(&b, "\"url\":") < 0 || buf_put_json(&b, PyTuple_GET_ITEM(r, at[4])) < 0 ||
            PUT_NAMED(&b, "\"host\":", PyTuple_GET_ITEM(d, DECISION_HOST), 0) < 0 ||
            PUT_NAMED(&b, "\"entry\":", PyTuple_GET_ITEM(d, DECISION_ENTRY), 0) < 0 ||
            buf_put(&b, (const char *)PyUnicode_1BYTE_DATA(end), PyUnicode_GET_LENGTH(end)) < 0) {
            goto fail;
        }
    }
    Py_XDECREF(last);
    Py_XDECREF(last_end);
    Py_XDECREF(request);
    PyObject *result = PyBytes_FromStringAndSize(b.data, b.len);
    PyMem_Free(b.data);
    return result;

fail:
    Py_XDECREF(last);
    Py_XDECREF(last_end);
    Py_XDECREF(request);
    PyMem_Free(b.data);
    return NULL;
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
        PyObject *parsed = err ? NULL : line_type->tp_alloc(line_type, 6);
        if (parsed == NULL) {
            for (int k = 0; k < 6; k++) {
                Py_XDECREF(fields[k]);
            }
            Py_DECREF(line);
            goto fail;
        }
        for (int k = 0; k < 6; k++) {
            PyTuple_SET_ITEM(parsed, k, fields[k] != NULL ? fields[k] : Py_NewRef(Py_None));
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

/* Where a HelperLine keeps its channel-ID and URL. */
#define LINE_CHANNEL 0
#define LINE_URL 1
#define DECISION_VERDICT 0
#define DECISION_HOST 12
#define PREFIX_FIELDS 9 /* verdict .. alert: what a block page address says */

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
        if (!PyTuple_Check(line) || PyTuple_GET_SIZE(line) <= LINE_URL) {
            PyErr_SetString(PyExc_TypeError, "a line must be a HelperLine");
            goto fail;
        }
        if (!PyTuple_Check(decision) || PyTuple_GET_SIZE(decision) < DECISION_FIELDS) {
            PyErr_SetString(PyExc_TypeError, "a decision must be a Decision");
            goto fail;
        }
        PyObject *channel = PyTuple_GET_ITEM(line, LINE_CHANNEL);
        if (channel != Py_None && (buf_put_utf8(&b, channel) < 0 || buf_put(&b, " ", 1) < 0)) {
            goto fail;
        }
        if (PyTuple_GET_ITEM(decision, DECISION_VERDICT) != block) {
            int plain = 1;
            int found = PySet_Contains(hosts, PyTuple_GET_ITEM(decision, DECISION_HOST));
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
        PyObject *key = PyTuple_GetSlice(decision, 0, PREFIX_FIELDS);
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
    {"format_events", format_events, METH_VARARGS,
     "format_events(head, requests, request_type, layout, decisions, outcomes, define) -> bytes\n\n"
     "The spool lines of one batch (see SpoolWriter._format_events)."},
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
    for (int c = 0; c < 128; c++) {
        PLAIN[c] = c >= ' ' && c <= '~' && c != '\\' && c != '"';
    }
    return PyModule_Create(&module);
}
