"""The C part of Schoolgate: parse_url's fast path (src/schoolgate/engine/_urls.c) and the gateways'
per-request loops (src/schoolgate/gateways/_speedups.c).

Everything else is in pyproject.toml. Each C function has a pure-Python twin that the tests compare
it with; Schoolgate runs without them, only slower.
"""

from setuptools import Extension, setup

WARNINGS = ["-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        Extension("schoolgate.engine._urls", ["src/schoolgate/engine/_urls.c"], extra_compile_args=WARNINGS),
        Extension(
            "schoolgate.gateways._speedups",
            ["src/schoolgate/gateways/_speedups.c"],
            extra_compile_args=WARNINGS,
        ),
    ]
)
