"""The C part of Schoolgate: parse_url's fast path (src/schoolgate/engine/_urls.c), the spool writer's
per-event loop (src/schoolgate/activity/_speedups.c) and the Squid helper's per-request loops
(src/schoolgate/gateways/_speedups.c).

Everything else is in pyproject.toml. Each C function has a pure-Python twin that the tests compare
it with; Schoolgate runs without them, only slower. They build with warnings as errors: a warning in
code that parses what the network sends is a bug until shown otherwise. scripts/sanitize.py builds
the same files again under AddressSanitizer and UndefinedBehaviorSanitizer for the twin tests.
"""

from setuptools import Extension, setup

WARNINGS = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"]
# What both gateway loops share: the buffer (src/schoolgate/_buffer.h) and the layout errors
# (src/schoolgate/_layout.h).
SHARED = {
    "include_dirs": ["src/schoolgate"],
    "depends": ["src/schoolgate/_buffer.h", "src/schoolgate/_layout.h"],
}

EXTENSIONS = [
    Extension("schoolgate.engine._urls", ["src/schoolgate/engine/_urls.c"], extra_compile_args=WARNINGS),
    Extension(
        "schoolgate.activity._speedups",
        ["src/schoolgate/activity/_speedups.c"],
        extra_compile_args=WARNINGS,
        **SHARED,
    ),
    Extension(
        "schoolgate.gateways._speedups",
        ["src/schoolgate/gateways/_speedups.c"],
        extra_compile_args=WARNINGS,
        **SHARED,
    ),
]

setup(ext_modules=EXTENSIONS)
