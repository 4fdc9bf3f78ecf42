"""The simulation engine: distributions, sampling, correlation, network, cost.

Modules in this folder depend only on NumPy and SciPy. They work on arrays and plain
specs (``EngineSpec``); they never read files, never import pandas or matplotlib and
never see the scenario schema. ``riskmodel.simulate`` is the seam that turns a
validated ``Scenario`` into an ``EngineSpec`` and runs its chunks.
"""
