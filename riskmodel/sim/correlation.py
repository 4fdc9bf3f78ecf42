"""Rank correlation between sampled inputs (Gaussian copula).

Targets are Spearman rank correlations, as in @RISK and Crystal Ball. Uniforms are
mapped to normals, mixed with the Cholesky factor of the Pearson matrix that gives the
target Spearman values (r = 2 sin(pi rho / 6) for a bivariate normal) and mapped back,
so every marginal distribution is kept exactly. Under Latin hypercube sampling the mixed
rows are then replaced by their own stratified values put in the copula's rank order
(Iman and Conover, 1982), so that every correlated input keeps one point per stratum;
only the order of the mixed rows is read then, so they stay normal scores (no CDF).
"""
from __future__ import annotations

import numpy as np

from .kernels import gaussian_copula, rank_reorder_rows

__all__ = [
    "is_psd",
    "nearest_correlation",
    "spearman_to_pearson",
    "copula_factor",
    "correlate_uniforms",
    "rank_reorder",
]


def is_psd(matrix: np.ndarray, tol: float = 1e-10) -> bool:
    """True when the symmetric matrix has no eigenvalue below ``-tol``.

    Parameters
    ----------
    matrix : ndarray
        A symmetric k x k matrix.
    tol : float
        How far below 0 the smallest eigenvalue may be.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_psd(np.array([[1.0, 0.9], [0.9, 1.0]]))
    True
    >>> is_psd(np.array([[1.0, 1.1], [1.1, 1.0]]))
    False
    """
    return bool(np.linalg.eigvalsh(matrix).min() >= -tol)


def nearest_correlation(matrix: np.ndarray, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """Nearest correlation matrix in the Frobenius norm (Higham 2002, alternating projections).

    Parameters
    ----------
    matrix : ndarray
        A symmetric k x k matrix with a unit diagonal.
    tol : float
        Stop when an iteration moves the matrix by less than this (relative).
    max_iter : int
        The most iterations.

    Returns
    -------
    ndarray
        A symmetric k x k correlation matrix, its smallest eigenvalue nudged above 0 so
        that it has a Cholesky factor.
    """
    a = np.array(matrix, dtype=float)
    y = a.copy()
    ds = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh(r)
        x = (v * np.maximum(w, 0.0)) @ v.T
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y) <= tol * max(1.0, float(np.linalg.norm(y))):
            y = y_new
            break
        y = y_new
    # nudge the smallest eigenvalue to be strictly non-negative for a Cholesky
    w, v = np.linalg.eigh(y)
    if w.min() < 1e-12:
        y = (v * np.maximum(w, 1e-12)) @ v.T
        d = np.sqrt(np.diag(y))
        y = y / np.outer(d, d)
    return (y + y.T) / 2


def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """Pearson correlation of a bivariate normal whose Spearman correlation is ``rho``.

    Parameters
    ----------
    rho : array_like
        Spearman rank correlations.

    Returns
    -------
    ndarray
        2 sin(pi rho / 6), in the shape of ``rho``.
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho, dtype=float) / 6.0)


def copula_factor(spearman: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor to apply to independent normals.

    The Pearson matrix of the targets (``spearman_to_pearson``) is replaced by the nearest
    correlation matrix (``nearest_correlation``) when it is not positive semi-definite.

    Parameters
    ----------
    spearman : ndarray
        Target Spearman rank correlations, k x k.

    Returns
    -------
    ndarray
        The k x k lower-triangular factor for ``correlate_uniforms``.
    """
    pearson = spearman_to_pearson(spearman)
    np.fill_diagonal(pearson, 1.0)
    if not is_psd(pearson, tol=0.0):
        pearson = nearest_correlation(pearson)
    return np.linalg.cholesky(pearson)


def correlate_uniforms(u: np.ndarray, factor: np.ndarray, scores: bool = False) -> np.ndarray:
    """Give the rows of ``u`` (k inputs x n iterations) the rank correlation whose
    lower Cholesky ``factor`` is given (``copula_factor``).

    Parameters
    ----------
    u : ndarray
        Independent uniforms, k x n.
    factor : ndarray
        k x k lower-triangular factor (``copula_factor``).
    scores : bool
        Return the mixed standard normals instead of their normal CDFs (the uniforms):
        the order that ``rank_reorder`` reads (``normal=True``), without a call of the C
        library's ``erfc`` per value. It is the uniforms' order but where the CDF rounds
        two different scores far in the upper tail (beyond about 5.5 sd) to one double
        and so ties them; no such tie came up in 200 million scores of 20 rows
        (2026-12-01; docs/DESIGN.md, correlation under Latin hypercube sampling).

    Returns
    -------
    ndarray
        Correlated uniforms (or standard normal scores), k x n.

    Raises
    ------
    ValueError
        ``factor`` is not lower triangular.
    """
    factor = np.ascontiguousarray(factor, dtype=float)
    if np.any(np.triu(factor, 1)):
        raise ValueError("factor must be lower triangular (use copula_factor)")
    out = np.empty_like(u, dtype=float)
    gaussian_copula(np.ascontiguousarray(u, dtype=float), factor, out, uniform=not scores)
    return out


def rank_reorder(values: np.ndarray, scores: np.ndarray, normal: bool = False) -> np.ndarray:
    """Each row of ``values`` rearranged into the rank order of the same row of ``scores``
    (Iman and Conover's reordering: the values, and so their stratification, are kept;
    the rank correlation between rows is that of the scores). Ties keep their order.

    Parameters
    ----------
    values : ndarray
        The values to rearrange, k x n.
    scores : ndarray
        The order to follow, k x n.
    normal : bool
        The scores are standard normal (``correlate_uniforms(..., scores=True)``), not
        uniform: only the speed depends on it.

    Returns
    -------
    ndarray
        k x n: row i holds the values of ``values[i]`` in the rank order of ``scores[i]``.
    """
    out = np.empty_like(values, dtype=float)
    rank_reorder_rows(np.ascontiguousarray(values, dtype=float),
                      np.ascontiguousarray(scores, dtype=float), out, normal=normal)
    return out
