"""Write every plot for the default scenario to PNG files (``make gallery``)."""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import riskmodel  # noqa: E402
from riskmodel import plots  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default=str(ROOT / "gallery"), help="folder for the PNG files")
    p.add_argument("--iterations", type=int, default=50_000)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = riskmodel.load_scenario(ROOT / "data/scenarios/soc2_readiness.yaml")
    result = riskmodel.simulate(base, iterations=args.iterations)
    figures = {name: lambda f=func: f(result) for name, func in plots.ALL.items()}
    figures["risk_tornado_cost"] = lambda: plots.risk_tornado(result, measure="cost")
    figures["cash_flow_monthly"] = lambda: plots.cash_flow_fan(result, freq="M")
    report = riskmodel.load_scenario(ROOT / "data/scenarios/soc2_type2_report.yaml")
    figures["s_curves"] = lambda: plots.s_curves({
        "Readiness (baseline)": result,
        "Report in hand": riskmodel.simulate(report, iterations=args.iterations)})
    for name, draw in figures.items():
        ax = draw()
        ax.figure.savefig(out / f"{name}.png", dpi=110)
        plt.close(ax.figure)
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
