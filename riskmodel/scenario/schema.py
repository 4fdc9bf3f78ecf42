"""The scenario schema (DESIGN §3): ``Scenario``, validated key by key and across keys.

The fields are the models of ``models.py`` (re-exported here); checks across the
whole scenario (unknown ids, cycles, correlation matrices) live in ``checks.py``.
``Scenario.from_dict`` runs both and raises one ``ScenarioError`` listing every problem.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from .checks import check_partial, check_scenario
from .merge import merge_scenarios
from .models import *  # noqa: F403 - the models are part of this module's interface
from .models import RESERVED_MILESTONE, ScenarioFields
from .models import __all__ as _models
from .problems import problems_from_validation
from .tables import TableError, normalise_tables

__all__ = ["Scenario", *_models]


class Scenario(ScenarioFields):
    """A validated scenario. Build with ``load_scenario(path)`` or ``Scenario.from_dict``.

    Examples
    --------
    >>> s = Scenario.from_dict({
    ...     "name": "demo", "start_date": "2026-12-07", "audit_date": "2027-03-01",
    ...     "workstreams": [{"id": "gap_analysis", "duration": {"dist": "pert", "min": 1.5,
    ...                      "mode": 2, "max": 3}}]})
    >>> [t.id for t in s.all_targets]
    ['audit']
    """

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        *,
        source: str | None = None,
        table_sources: dict[str, str] | None = None,
        sources: dict[str, str] | None = None,
    ) -> Scenario:
        """Validate plain data (as read from YAML) into a scenario.

        Tables (``workstreams``, ``risks``, ...) may be lists of dicts or pandas
        DataFrames. Raises ``ScenarioError`` listing every problem found.
        """
        if not isinstance(data, dict):
            raise ScenarioError(Problem("", "a scenario must be a mapping of keys to values",
                                        source))
        try:
            data = normalise_tables(data)
        except TableError as exc:
            raise ScenarioError(Problem(f"{exc.table}: row {exc.row + 2}: {exc.column}",
                                        str(exc), source)) from None
        try:
            scenario = cls.model_validate(data)
        except ValidationError as exc:
            problems = problems_from_validation(exc, cls, source, table_sources)
            seen = {(p.where, p.message) for p in problems}
            problems += [Problem(p.where, p.message, source) for p in check_partial(data)
                         if (p.where, p.message) not in seen]
            raise ScenarioError(problems) from None
        problems = check_scenario(scenario)
        if problems:
            raise ScenarioError(
                [Problem(p.where, p.message, source) for p in problems]
            )
        scenario._sources = dict(sources or {})
        return scenario

    def with_changes(self, changes: dict[str, Any] | None = None, *,
                     replace: tuple[str, ...] = (), **keys: Any) -> Scenario:
        """A new scenario with ``changes`` applied, validated like a scenario file.

        ``changes`` is a partial scenario merged as ``extends`` merges files: tables
        by id (an item updates the item with its id, ``remove: true`` drops it, a new id
        is added), mappings key by key; keyword arguments set top-level keys. Tables
        named in ``replace`` are replaced whole.

        Examples
        --------
        >>> from riskmodel import load_scenario
        >>> scenario = load_scenario("data/scenarios/soc2_readiness.yaml")
        >>> scenario.with_changes(audit_date="2027-03-15").all_targets[0].date
        datetime.date(2027, 3, 15)
        >>> fewer = scenario.with_changes({"risks": [{"id": "evidence_gaps",
        ...                                          "probability": 0.1}]})
        >>> [r.probability for r in fewer.risks if r.id == "evidence_gaps"]
        [0.1]
        """
        changes = {**(changes or {}), **keys}
        base = self.to_dict()
        if base.get("audit_date") is not None:  # the shorthand as a target, to merge by id
            base["targets"] = [{"id": "audit", "milestone": RESERVED_MILESTONE,
                                "date": base.pop("audit_date")}, *base.get("targets", [])]
        if "audit_date" in changes:  # move the audit target, wherever it points
            changes = dict(changes)
            date = changes.pop("audit_date")
            changes["targets"] = [{"id": self.audit_target.id, "date": str(date)},
                                  *changes.get("targets", [])]
        for key in replace:
            base.pop(key, None)
        merged = merge_scenarios(base, changes)
        new = Scenario.from_dict(merged, source="change")
        new._sources = dict(self._sources)
        return new
