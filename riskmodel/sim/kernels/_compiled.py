"""The compiled loops (``riskmodel/sim/_kernels.c``), bound through ctypes.

Importing this module fails with ``ImportError`` when the C file was not built, or when
the build is stale (its ``kernels_version()`` is not ``VERSION``); the package then runs
on the NumPy backend. Each function's argument and return types come
from ``_signatures.SIGNATURES``, so ctypes converts and checks every argument: an array
of the wrong dtype or memory order raises ``ctypes.ArgumentError`` instead of reaching C.
"""
from __future__ import annotations

import ctypes
from types import SimpleNamespace

from .. import _kernels  # type: ignore[attr-defined]  # the built extension module
from ._signatures import ARGTYPES, RESTYPE, VERSION

try:
    LIBRARY = ctypes.CDLL(_kernels.__file__)
except OSError as exc:  # pragma: no cover - a file that is not a loadable library
    raise ImportError(f"the compiled loops cannot be loaded ({exc})") from exc


def _bind(name: str):
    fn = getattr(LIBRARY, name)
    fn.restype, fn.argtypes = RESTYPE[name], ARGTYPES[name]
    return fn


try:
    FUNCTIONS = SimpleNamespace(**{name: _bind(name) for name in ARGTYPES})
    _built = FUNCTIONS.kernels_version()
except AttributeError as exc:  # a function missing: a build older than this code
    raise ImportError(f"the compiled loops are stale ({exc}); reinstall to rebuild them") \
        from exc
if _built != VERSION:
    raise ImportError(f"the compiled loops are stale (version {_built}, this code needs "
                      f"{VERSION}); reinstall to rebuild them")
