/* schoolgate.engine._urls: parse_url's fast path, in C.
 *
 * `fast_url(text, url_type)` gives the Url that schoolgate.engine.urls._parse_url_python gives for
 * the common, already-canonical request URLs, and None for everything else, which then goes through
 * the Python parser. It never decides alone that a URL is unusable; "None" only means "ask Python".
 * The tests compare the two on any input.
 *
 * What it takes: ASCII text matching
 *
 *     scheme://host[:port][/path][?query]        (the whole text)
 *     host[:port]                                 (a CONNECT target: no "/")
 *
 * scheme  [A-Za-z][A-Za-z0-9+.-]*, lowercased
 * host    dot-separated labels of 1..63 of [A-Za-z0-9_-], one trailing dot allowed (and dropped),
 *         lowercased, at most 253 characters; if the last label starts with a digit, a canonical
 *         dotted quad (no leading zeros, each part 0..255)
 * port    1..5 digits, at most 65535
 * path    "/" then no ? # % \ controls, space or DEL; no "//", no "/."
 * query   "?" then no # % controls, space or DEL
 *
 * The Url is (scheme, host, port, target, is_ip) with target = (path or "/") + query, or "" for a
 * CONNECT target (whose scheme is "").
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_HOST 253
#define MAX_LABEL 63
#define MAX_PORT 65535

static int
is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
is_control_or_space(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/* The host starting at p[i]: labels and one optional trailing dot. Sets *host_end (without the
 * dot) and returns where it stops, or -1. */
static Py_ssize_t
scan_host(const unsigned char *p, Py_ssize_t i, Py_ssize_t n, Py_ssize_t *host_end)
{
    Py_ssize_t start = i;
    for (;;) {
        Py_ssize_t label = i;
        while (i < n && is_label_char(p[i])) {
            i++;
        }
        if (i == label || i - label > MAX_LABEL) {
            /* An empty label: only a trailing dot right after a label is allowed. */
            if (i == label && label > start && p[label - 1] == '.') {
                *host_end = label - 1;
                return label;
            }
            return -1;
        }
        if (i < n && p[i] == '.') {
            i++;
            continue;
        }
        *host_end = i;
        return i;
    }
}

/* 1 when p[start:end] is a canonical dotted quad. */
static int
is_dotted_quad(const unsigned char *p, Py_ssize_t start, Py_ssize_t end)
{
    int parts = 0;
    Py_ssize_t i = start;
    while (i <= end) {
        Py_ssize_t s = i;
        int value = 0;
        while (i < end && p[i] >= '0' && p[i] <= '9') {
            value = value * 10 + (p[i] - '0');
            i++;
            if (i - s > 3) {
                return 0;
            }
        }
        Py_ssize_t len = i - s;
        if (len == 0 || (len > 1 && p[s] == '0') || value > 255) {
            return 0;
        }
        parts++;
        if (i == end) {
            return parts == 4;
        }
        if (p[i] != '.' || parts == 4) {
            return 0;
        }
        i++;
    }
    return 0;
}

static PyObject *
lowered(const unsigned char *p, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *s = PyUnicode_New(end - start, 127);
    if (s == NULL) {
        return NULL;
    }
    Py_UCS1 *o = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = start; i < end; i++) {
        unsigned char c = p[i];
        *o++ = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + 32) : c;
    }
    return s;
}

static PyObject *
fast_url(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "fast_url(text, url_type) takes 2 arguments");
        return NULL;
    }
    PyObject *text = args[0];
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "text must be str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (!PyType_Check(args[1]) || !PyType_IsSubtype((PyTypeObject *)args[1], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "url_type must be a tuple type");
        return NULL;
    }
    PyTypeObject *url_type = (PyTypeObject *)args[1];
    if (!PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    const unsigned char *p = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t i = 0;

    /* scheme:// , or none (a CONNECT target) */
    Py_ssize_t scheme_end = -1;
    if (n > 0 && ((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z'))) {
        Py_ssize_t k = 1;
        while (k < n && (is_label_char(p[k]) || p[k] == '+' || p[k] == '.') && p[k] != '_') {
            k++;
        }
        if (k + 2 < n + 0 && p[k] == ':' && p[k + 1] == '/' && p[k + 2] == '/') {
            scheme_end = k;
            i = k + 3;
        }
    }
    int connect = scheme_end < 0;
    if (connect) {
        for (Py_ssize_t k = 0; k < n; k++) {
            if (p[k] == '/') {
                Py_RETURN_NONE;
            }
        }
    }

    Py_ssize_t host_start = i, host_end;
    i = scan_host(p, i, n, &host_end);
    if (i < 0 || host_end - host_start > MAX_HOST) {
        Py_RETURN_NONE;
    }
    Py_ssize_t last = host_end;
    while (last > host_start && p[last - 1] != '.') {
        last--;
    }
    int is_ip = p[last] >= '0' && p[last] <= '9';
    if (is_ip && !is_dotted_quad(p, host_start, host_end)) {
        Py_RETURN_NONE;
    }

    long port = -1;
    if (i < n && p[i] == ':') {
        Py_ssize_t s = ++i;
        port = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - s < 5) {
            port = port * 10 + (p[i] - '0');
            i++;
        }
        if (i == s || (i < n && p[i] >= '0' && p[i] <= '9') || port > MAX_PORT) {
            Py_RETURN_NONE;
        }
    }

    Py_ssize_t path_start = i, path_end = i, query_start = -1;
    if (!connect) {
        if (i < n && p[i] == '/') {
            i++;
            while (i < n && p[i] != '?' && p[i] != '#' && p[i] != '%' && p[i] != '\\' && !is_control_or_space(p[i])) {
                if (p[i] == '/' && (p[i - 1] == '/')) {
                    Py_RETURN_NONE; /* "//" */
                }
                if (p[i] == '.' && p[i - 1] == '/') {
                    Py_RETURN_NONE; /* "/." */
                }
                i++;
            }
            path_end = i;
        }
        if (i < n && p[i] == '?') {
            query_start = i++;
            while (i < n && p[i] != '#' && p[i] != '%' && !is_control_or_space(p[i])) {
                i++;
            }
        }
    }
    if (i != n) {
        Py_RETURN_NONE;
    }

    PyObject *scheme = NULL, *host = NULL, *port_obj = NULL, *target = NULL, *url = NULL;
    scheme = connect ? PyUnicode_New(0, 0) : lowered(p, 0, scheme_end);
    host = lowered(p, host_start, host_end);
    port_obj = port < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(port);
    if (connect) {
        target = PyUnicode_New(0, 0);
    }
    else if (path_end > path_start) {
        target = PyUnicode_Substring(text, path_start, query_start < 0 ? path_end : n);
    }
    else if (query_start < 0) {
        target = PyUnicode_FromStringAndSize("/", 1);
    }
    else {
        target = PyUnicode_New(1 + n - query_start, 127);
        if (target != NULL) {
            Py_UCS1 *o = PyUnicode_1BYTE_DATA(target);
            o[0] = '/';
            memcpy(o + 1, p + query_start, (size_t)(n - query_start));
        }
    }
    if (scheme != NULL && host != NULL && port_obj != NULL && target != NULL) {
        url = url_type->tp_alloc(url_type, 5);
    }
    if (url == NULL) {
        Py_XDECREF(scheme);
        Py_XDECREF(host);
        Py_XDECREF(port_obj);
        Py_XDECREF(target);
        return NULL;
    }
    PyTuple_SET_ITEM(url, 0, scheme);
    PyTuple_SET_ITEM(url, 1, host);
    PyTuple_SET_ITEM(url, 2, port_obj);
    PyTuple_SET_ITEM(url, 3, target);
    PyTuple_SET_ITEM(url, 4, PyBool_FromLong(is_ip));
    return url;
}

static PyMethodDef methods[] = {
    {"fast_url", (PyCFunction)(void (*)(void))fast_url, METH_FASTCALL,
     "fast_url(text, url_type) -> url_type | None\n\n"
     "parse_url's fast path: the Url of a common, canonical request URL, else None (ask Python)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "schoolgate.engine._urls",
    .m_doc = "parse_url's fast path in C; the Python parser is its reference.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__urls(void)
{
    return PyModule_Create(&module);
}
