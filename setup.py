"""The C part of Schoolgate: the gateways' per-request loops (src/schoolgate/gateways/_speedups.c).

Everything else is in pyproject.toml. Each function in the module has a pure-Python twin that the
tests compare it with; Schoolgate runs without it, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "schoolgate.gateways._speedups",
            ["src/schoolgate/gateways/_speedups.c"],
            extra_compile_args=["-Wall", "-Wextra", "-Wno-unused-parameter"],
        )
    ]
)
