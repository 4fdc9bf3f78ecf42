"""Builds the engine's compiled loops; everything else is in pyproject.toml."""
import sys

from setuptools import Extension, setup

# IEEE double arithmetic without fused multiply-adds, so the loops' own arithmetic gives
# the same numbers whichever instruction set they run on; errno is never read, which lets
# the compiler vectorise sqrt.
FLAGS = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off", "-fno-math-errno"]

setup(ext_modules=[Extension("riskmodel.sim._kernels", ["riskmodel/sim/_kernels.c"],
                             extra_compile_args=FLAGS)])
