"""``make look``: render a batch's deck and workbook to PDF and PNG pages to look at.

    python -m riskmodel.reporting.look [BATCH_FOLDER]   # default reports/leadership
    python -m riskmodel.reporting.look --sample         # a small batch built in process

Writes ``<batch folder>/_look/``: ``deck.pdf`` and ``deck-NN.png`` (LibreOffice, then
pdftoppm), ``forecast.pdf`` and ``forecast-NN.png``, and with headless Chromium
``comparison.png`` and ``report-<scenario>.png`` (the first scenario's report.html).
A tool that is missing is named in one line and the rest still runs.

``sample_batch`` builds what ``write_batch_outputs`` receives from short in-process runs
(no papermill): the deck and workbook tests use it, and ``--sample`` renders it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

__all__ = ["sample_batch", "render", "main"]

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
REPORTS = Path("reports")  # relative to where ``make look`` runs (the checkout)
SAMPLE_FAILED = ("broken", "Broken scenario",
                 "ScenarioError: workstreams[3].duration: min 5 > mode 3")


def _sample_scenarios() -> dict[str, tuple[str, dict]]:
    default = SCENARIOS / "soc2_readiness.yaml"
    return {  # id: (label, ScenarioReport.run keywords)
        "baseline": ("Baseline", {"scenario": default}),
        "contractor": ("Add a Salesforce contractor", {"scenario": default, "changes": [
            {"staffing": {"workstream": "sf_permissions",
                          "staffing": {"sf_developer_contract": 2.0}}}]}),
        "later": ("Audit two weeks later", {"scenario": default, "audit_date": "2027-03-15"}),
        "type2-eur": ("=Type II report (EUR)", {
            "scenario": SCENARIOS / "soc2_type2_report.yaml",
            "overrides": {"currency": "EUR"}}),
    }


def sample_batch(ids=None, failed: bool = True, iterations: int = 3000, seed: int = 11):
    """``(batch, summaries, labels, record)`` from short runs of the shipped scenarios:
    a baseline, two options, a EUR Type II scenario (a second peak) and, with ``failed``,
    a scenario that did not run (second in the batch).

    Parameters
    ----------
    ids : iterable of str, optional
        Which of ``"baseline"``, ``"contractor"``, ``"later"`` and ``"type2-eur"`` to run,
        in that order (default: all four).
    failed : bool
        Also list a scenario that failed.
    iterations : int
        Iterations of each run.
    seed : int
        The seed of every run.

    Returns
    -------
    tuple
        ``(batch, summaries, labels, record)``: the batch (title, items, name), each
        scenario's summary as read back from JSON, each item's label, and the batch
        record, as ``write_batch_outputs`` receives them.
    """
    from .batch import BatchItem
    from .report import ScenarioReport

    catalogue = _sample_scenarios()
    ids = list(catalogue) if ids is None else list(ids)
    summaries, items, scenarios = {}, [], {}
    for ident in ids:
        label, kw = catalogue[ident]
        rep = ScenarioReport.run(iterations=iterations, seed=seed, title=label, **kw)
        summaries[ident] = json.loads(json.dumps(rep.summary()))  # as read from the file
        items.append(BatchItem(ident, label, dict(rep.parameters)))
        scenarios[ident] = {"label": label, "status": "ok"}
    if failed:
        ident, label, error = SAMPLE_FAILED
        items.insert(1, BatchItem(ident, label, {}))
        pairs = list(scenarios.items())
        scenarios = dict(pairs[:1] + [(ident, {"label": label, "status": "failed",
                                                "error": error})] + pairs[1:])
    batch = SimpleNamespace(title="SOC 2 readiness & sample", items=items, name="sample")
    record = {"batch": "sample", "title": batch.title, "file": "sample.yaml",
              "file_sha256": "0" * 64, "notebook": "scenario_report.ipynb",
              "notebook_sha256": "1" * 64, "started": "2026-05-01T09:00:00+00:00",
              "finished": "2026-05-01T09:01:00+00:00", "scenarios": scenarios,
              "failed": int(failed)}
    return batch, summaries, {i.id: i.label for i in items}, record


def _write_sample(folder: Path) -> None:
    from .deck import write_deck
    from .outputs import summary_table
    from .workbook import write_workbook

    folder.mkdir(parents=True, exist_ok=True)
    batch, summaries, labels, record = sample_batch()
    write_deck(folder / "deck.pptx", batch, summaries, labels, folder, record)
    write_workbook(folder / "forecast.xlsx", batch, summaries,
                   summary_table(summaries, record), record)


def _tool(*names: str) -> str | None:
    return next((shutil.which(n) for n in names if shutil.which(n)), None)


def render(folder: Path, dpi: int = 60) -> list[str]:
    """Render ``folder``'s deck, workbook and pages into ``folder/_look``; returns one
    line per tool that is missing or failed.

    Parameters
    ----------
    folder : Path
        A batch's output folder.
    dpi : int
        Resolution of the PNG pages of the deck and the workbook.

    Returns
    -------
    list of str
        Notes; empty when every tool ran.
    """
    out = folder / "_look"
    out.mkdir(exist_ok=True)
    notes = _office_pages(folder, out, dpi)
    notes += _screenshots(_html_pages(folder), out)
    return notes


def _office_pages(folder: Path, out: Path, dpi: int) -> list[str]:
    """deck.pptx and forecast.xlsx to PDF (LibreOffice), then to PNG pages (pdftoppm)."""
    notes = []
    soffice, pdftoppm = _tool("soffice", "libreoffice"), _tool("pdftoppm")
    for name in ("deck.pptx", "forecast.xlsx"):
        src = folder / name
        if not src.exists():
            notes.append(f"{src}: not there (run the batch first)")
            continue
        if soffice is None:
            notes.append(f"{name}: LibreOffice (soffice) is not installed; "
                         "apt-get install libreoffice-impress libreoffice-calc")
            continue
        with tempfile.TemporaryDirectory() as profile:  # its own profile: no lock clash
            done = subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                 "--convert-to", "pdf", "--outdir", str(out), str(src)],
                capture_output=True, text=True, timeout=600)
        pdf = out / (src.stem + ".pdf")
        if done.returncode or not pdf.exists():
            notes.append(f"{name}: LibreOffice failed: {done.stderr.strip()[:200]}")
            continue
        if pdftoppm is None:
            notes.append(f"{name}: pdftoppm is not installed (apt-get install poppler-utils);"
                         f" the PDF is {pdf}")
            continue
        for old in out.glob(f"{src.stem}-*.png"):
            old.unlink()
        subprocess.run([pdftoppm, "-png", "-r", str(dpi), str(pdf), str(out / src.stem)],
                       check=True, timeout=600)
    return notes


def _html_pages(folder: Path) -> list[tuple[str, Path]]:
    """(screenshot, page): comparison.html and the report of the batch's first scenario
    (the baseline), else of the first folder with a report."""
    pages = [("comparison.png", folder / "comparison.html")]
    try:
        order = list(json.loads((folder / "batch.json").read_text())["scenarios"])
    except (OSError, ValueError, KeyError, TypeError):
        order = []
    found = [p for p in sorted(folder.glob("*/report.html"))
             if not p.parent.name.startswith(("_", "."))]
    found.sort(key=lambda p: order.index(p.parent.name) if p.parent.name in order else
               len(order))
    first = found[0] if found else None
    if first is not None:
        pages.append((f"report-{first.parent.name}.png", first))
    return pages


def _screenshots(pages: list[tuple[str, Path]], out: Path) -> list[str]:
    """Each page that is there, screenshot with headless Chromium into ``out``."""
    notes = []
    chromium = _tool("chromium", "chromium-browser", "google-chrome")
    if chromium is None:
        notes.append("HTML screenshots: Chromium is not installed (apt-get install chromium)")
    else:
        for old in out.glob("report-*.png"):
            old.unlink()
        for name, page in pages:
            if not page.exists():
                continue
            with tempfile.TemporaryDirectory() as profile:
                done = subprocess.run(
                    [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                     f"--user-data-dir={profile}", f"--screenshot={out / name}",
                     "--window-size=1400,2000", "--hide-scrollbars",
                     page.resolve().as_uri()], capture_output=True, text=True, timeout=300)
            if done.returncode:
                notes.append(f"{page.name}: Chromium failed: {done.stderr.strip()[:200]}")
    return notes


def main(argv: list[str] | None = None) -> int:
    """``make look``: render a batch folder's outputs into ``<folder>/_look/``; returns the
    exit code (2 when the folder is not a batch's).

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``): a batch folder, ``--sample``,
        ``--dpi N``.

    Returns
    -------
    int
        0, or 2 when the folder is not a batch's.
    """
    parser = argparse.ArgumentParser(prog="make look", description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default="",
                        help="a batch folder (default: reports/leadership)")
    parser.add_argument("--sample", action="store_true",
                        help="build a small batch in process (no papermill) and render it")
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args(argv)
    if args.sample:
        folder = Path(args.folder or REPORTS / "_sample")
        _write_sample(folder)
    else:
        folder = Path(args.folder or os.environ.get("BATCH", "") or
                      REPORTS / "leadership")
    if not folder.is_dir():
        print(f"make look: {folder} is not a batch folder; run `make demo` (or "
              "`riskmodel batch ...`) first, or pass BATCH=reports/<batch>", file=sys.stderr)
        return 2
    for note in render(folder, args.dpi):
        print(f"make look: {note}")
    look = folder / "_look"
    print(f"make look: {len(list(look.glob('*.png')))} pages and screenshots in {look}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
