"""What a result offers the layers under it, as protocols: ``Sample`` is what the
analysis reads (the per-iteration finishes and costs, and what drove them), ``Result``
what the summary document and the figures read (a sample and its labelled tables).

``riskmodel.results.SimulationResult`` is both; these modules name the protocols, never
the class, so that imports point down only (DESIGN §2). The attributes and methods mean
what they mean on ``SimulationResult``; a protocol lists only what its readers use.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..scenario.models import Target
    from ..scenario.schema import Scenario
    from ..sim.without_risk import RiskOff
    from .table import Table

__all__ = ["Sample", "Result"]


class Sample(Protocol):
    """The run's iterations and what drove them: what ``riskmodel.analysis`` reads."""

    scenario: Scenario
    spec: Any
    status: Any
    finish: np.ndarray
    cost: np.ndarray
    milestone_finish: dict[str, np.ndarray]
    detail: dict[str, np.ndarray]
    plan: dict[str, Any]
    criticality_: np.ndarray
    fired_: np.ndarray
    mean_duration_: np.ndarray
    mean_finish_: np.ndarray
    mean_fixed_: np.ndarray
    mean_risk_cost_: np.ndarray
    mean_programme_cost_: np.ndarray
    without_risk: RiskOff | None
    no_risks: dict[str, np.ndarray] | None
    norisk_mean_duration_: np.ndarray | None
    norisk_mean_finish_: np.ndarray | None
    mean_triggered_cost_: np.ndarray | None
    unlevelled: dict[str, np.ndarray] | None
    rate_means_: dict[str, np.ndarray] | None

    @property
    def workstream_ids(self) -> list[str]: ...

    @property
    def primary_target(self) -> Target: ...

    @property
    def budget(self) -> float: ...

    @property
    def budget_source(self) -> str: ...

    def weeks(self, when: dt.date | str | float) -> float: ...

    def date_of(self, weeks: float) -> dt.date: ...

    def sorted_values(self, of: str) -> np.ndarray: ...

    def finish_of(self, milestone: str = ...) -> np.ndarray: ...

    def p_meet(self, when: dt.date | str | float, milestone: str = ...) -> float: ...

    def jcl(self, when: dt.date | str | float | None = None, budget: float | None = None,
            milestone: str | None = None) -> float: ...


class Result(Sample, Protocol):
    """A sample and its labelled tables: what ``riskmodel.document`` and
    ``riskmodel.plots`` read."""

    iterations: int
    seed: int
    sampling: str
    warnings_: list
    jobs: int

    def percentiles(self, of: str = ..., levels: Sequence[float] = ...) -> pd.Series: ...

    def finish_dates(self) -> pd.Series: ...

    def targets(self) -> pd.DataFrame: ...

    def columns(self, table: str, *args: Any) -> Table: ...

    def p_meet_std_error(self, when, milestone: str = ...) -> tuple[float, str]: ...

    def cdf(self, milestone: str = ...) -> tuple[np.ndarray, np.ndarray]: ...

    def modes(self, of: str = ...) -> dict[str, Any] | None: ...

    def cost_band(self) -> dict[str, float]: ...

    def cost_of_delay(self) -> pd.DataFrame: ...

    def contingency_table(self, levels: Sequence[float] = ...) -> pd.DataFrame: ...

    def jcl_frontier(self, confidence: float = ...) -> pd.DataFrame: ...

    def cash_flow(self, freq: str = ...) -> pd.DataFrame: ...

    def workstreams(self) -> pd.DataFrame: ...

    def risks(self) -> pd.DataFrame: ...

    def waiting(self) -> dict[str, Any] | None: ...

    def role_demand(self) -> dict[str, pd.DataFrame]: ...

    def to_dict(self) -> dict[str, Any]: ...
