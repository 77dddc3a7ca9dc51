"""Build the engine's compiled fast path (core/fastpath.c).

It is a plain shared library loaded with ctypes (no Python C API), built as an extension so that
pip compiles it on install. Everything else is declared in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cheriot_gdbserver.core._fastpath",
            sources=["core/fastpath.c", "core/tracefmt.c"],
            depends=["core/trace_records.h"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        )
    ]
)
