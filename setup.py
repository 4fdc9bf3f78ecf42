"""Builds the engine's compiled loops, if it can; everything else is in pyproject.toml.

The loops are an optional accelerator: riskmodel/sim/kernels/_numpy.py computes the same
numbers in NumPy. So a failed C build (no compiler, a compiler error) still installs the
package: one line says so and riskmodel runs on the NumPy backend. Set
RISKMODEL_REQUIRE_COMPILED=1 to make a failed build an error instead (wheel builds do).
"""
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# IEEE double arithmetic without fused multiply-adds, so the loops' own arithmetic gives
# the same numbers whichever instruction set they run on, and the NumPy backend's; errno is
# never read, which lets the compiler vectorise sqrt. MSVC (x64, /fp:precise, no /arch)
# never contracts.
FLAGS = {"msvc": ["/O2", "/fp:precise"]}
DEFAULT_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno"]


class OptionalBuildExt(build_ext):
    """build_ext that reports a failure in one line and carries on."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # no compiler at all, or a broken toolchain
            self._skip(exc)

    def build_extension(self, ext):
        ext.extra_compile_args = FLAGS.get(self.compiler.compiler_type, DEFAULT_FLAGS)
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._skip(exc)

    @staticmethod
    def _skip(exc):
        if os.environ.get("RISKMODEL_REQUIRE_COMPILED", "").strip() not in ("", "0"):
            raise exc
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        print(f"riskmodel: compiled loops not built ({reason}); using the NumPy backend",
              file=sys.stderr)


setup(ext_modules=[Extension("riskmodel.sim._kernels", ["riskmodel/sim/_kernels.c"])],
      cmdclass={"build_ext": OptionalBuildExt})
