"""The C prototypes of the compiled loops, as ctypes sees them.

``SIGNATURES`` copies every ``EXPORT`` declaration of ``riskmodel/sim/_kernels.c``:
return type and parameter types, in C, in order. The ctypes binding is generated from
it (``ARGTYPES``, ``RESTYPE``), and the NumPy backend checks its arguments with the same
types, so both refuse the same wrong arrays. ``tests/sim/test_kernels.py`` parses the C
file and fails if a prototype and this table disagree in any way (a function missing
on either side, a parameter's count, order, type, constness).
"""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from numpy.ctypeslib import ndpointer

__all__ = ["VERSION", "SIGNATURES", "CTYPES", "ARGTYPES", "RESTYPE"]

# KERNELS_VERSION of _kernels.c that these bindings and the NumPy backend match; a build
# reporting another version is stale and is not used (reinstall to rebuild it)
VERSION = 8

_F64, _I64, _U64, _U32, _U8 = "double", "int64_t", "uint64_t", "uint32_t", "uint8_t"
IN_F, IN_I, IN_U64, IN_U32, IN_U8 = (f"const {t} *" for t in (_F64, _I64, _U64, _U32, _U8))
OUT_F, OUT_U32, OUT_U8 = (f"{t} *" for t in (_F64, _U32, _U8))

# name: (return type, parameter types), exactly as declared in _kernels.c
SIGNATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "kernels_version": ("int", ()),
    "philox4x32_10": ("void", (IN_U32, IN_U32, OUT_U32)),
    "uniform_rows_variant": ("int", ("int", IN_U64, _I64, _I64, _I64, "int", OUT_F)),
    "triangular_rows": ("void", (IN_F, IN_F, IN_F, _I64, _I64, IN_F, IN_I, OUT_F)),
    "cubic_rows": ("void", (IN_F, _F64, _F64, _I64, _I64, IN_F, IN_I, OUT_F)),
    "pert_rows": (_I64, (IN_F, IN_F, IN_F, IN_F, IN_F, _F64, _F64, IN_F, IN_F, _I64, _I64,
                         IN_F, IN_I, OUT_F)),
    "apply_risks": ("void", (IN_F, _I64, _I64, IN_U8, IN_F, _I64, IN_I, IN_I, IN_I, OUT_F)),
    "weighted_sum": ("void", (IN_F, IN_F, _I64, _I64, OUT_F)),
    "gaussian_copula": ("int", (IN_F, IN_F, _I64, _I64, _I64, OUT_F)),
    "calendar_work": ("void", (IN_F, IN_F, _I64, _I64, IN_F, OUT_F)),
    "calendar_time": ("void", (IN_F, IN_F, _I64, _I64, IN_F, OUT_F)),
    "start_rows": ("void", (IN_F, IN_F, _I64, _I64, IN_I, IN_I, IN_I, IN_F, IN_I, IN_F, IN_F,
                            IN_F, IN_F, _I64, OUT_F)),
    "forward_rows": ("int", (IN_F, _I64, _I64, IN_I, IN_I, IN_I, IN_F, IN_I, IN_F, IN_F, IN_F,
                             IN_F, _I64, OUT_F)),
    "level_rows": ("int", (IN_F, _I64, _I64, IN_I, IN_I, IN_I, IN_F, IN_I, IN_F, IN_F, IN_F,
                           IN_F, _I64, _I64, IN_F, IN_I, IN_F, IN_F, OUT_F, OUT_F)),
    "reschedule_cols": ("void", (IN_F, IN_F, _I64, _I64, IN_I, _I64, IN_I, _I64, IN_I, IN_I,
                                 IN_I, IN_F, IN_F, IN_F, IN_I, IN_F, IN_F, IN_F, _I64, OUT_F,
                                 IN_I, _I64, OUT_F)),
    "rank_reorder_rows": ("int", (IN_F, IN_F, _I64, _I64, _I64, OUT_F)),
    "critical_rows": ("int", (IN_F, IN_F, IN_F, _I64, _I64, IN_I, IN_I, IN_I, IN_F, IN_I, IN_F,
                              IN_F, _I64, _F64, OUT_F, OUT_U8)),
    "fte_by_week": ("int", (IN_F, IN_F, _I64, _I64, IN_I, _I64, IN_F, _I64, _I64, _F64, OUT_F)),
}

_DTYPE: dict[str, Any] = {_F64: np.float64, _I64: np.int64, _U64: np.uint64, _U32: np.uint32,
                          _U8: np.uint8}

# the ctypes type of each C type: a pointer is a C-ordered NumPy array of that dtype,
# writeable unless const
CTYPES = {"void": None, "int": ctypes.c_int, _I64: ctypes.c_int64, _F64: ctypes.c_double,
          **{f"const {t} *": ndpointer(d, flags="C_CONTIGUOUS") for t, d in _DTYPE.items()},
          **{f"{t} *": ndpointer(d, flags=("C_CONTIGUOUS", "WRITEABLE"))
             for t, d in _DTYPE.items()}}

RESTYPE = {name: CTYPES[ret] for name, (ret, _) in SIGNATURES.items()}
ARGTYPES = {name: [CTYPES[t] for t in args] for name, (_, args) in SIGNATURES.items()}
