"""The batch's pages in a real browser: headless Chromium opens comparison.html and a
scenario's report.html from one small real batch, with every host name unresolvable.

Each page must show its headline, load every image (inline data or a file next to it),
draw something (a screenshot that is not blank), ask for nothing from the network and log
no error. Skipped, saying why, where Chromium is not installed (``.ci/run`` installs it).
"""
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from riskmodel.reporting.batch import run_batch
from tests.conftest import DEFAULT, TYPE2

pytestmark = pytest.mark.slow

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome",
                                          "google-chrome-stable") if shutil.which(b)), None)
if BROWSER is None:
    pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it): the "
                "browser checks of the HTML reports are skipped", allow_module_level=True)

OFFLINE = "MAP * ~NOTFOUND"  # every host name fails to resolve: nothing can be fetched
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.documentElement.setAttribute("data-images", ok.length + "/" + imgs.length);
});
</script>"""
"""Added to a copy of the page, next to it: records in the DOM how many images loaded."""


@pytest.fixture(scope="module")
def batch(executed_batch, tmp_path_factory):
    """One small real batch (2 scenarios, 3,000 iterations) for every browser check. Its
    Baseline has the same inputs as the session's executed batch (tests/conftest.py), so
    that scenario's folder is taken from there and resumed; Type II runs here."""
    import yaml

    folder = tmp_path_factory.mktemp("browser")
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump({
        "name": "browser", "title": "Browser check", "iterations": 3000, "seed": 11,
        "scenarios": [{"name": "Baseline", "scenario": str(DEFAULT)},
                      {"name": "Type II report in hand", "scenario": str(TYPE2)}]}))
    out = folder / "reports" / "browser"
    out.mkdir(parents=True)
    shutil.copytree(executed_batch[1] / "baseline", out / "baseline")
    record = run_batch(path, output=folder / "reports", jobs=2, resume=True, progress=False)
    assert record["failed"] == 0, record
    return out


def chromium(page: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--disable-default-apps", "--mute-audio",
         f"--user-data-dir={tmp / 'profile'}", f"--host-resolver-rules={OFFLINE}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)


def open_page(page: Path, tmp: Path) -> tuple[str, str]:
    """The page's DOM after load (with the image probe) and the browser's log."""
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    try:
        run = chromium(probe, "--dump-dom", tmp=tmp)
    finally:
        probe.unlink()
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


def console_errors(log: str) -> list[str]:
    """What the page itself logged as an error: script errors and failed requests."""
    return [line for line in log.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line
            or "ERR_NAME_NOT_RESOLVED" in line]


def external_refs(text: str) -> list[str]:
    """src/href attributes and CSS url()/@import that a browser would fetch from the
    network; ``<a href>`` links are for the reader and are allowed."""
    found = []
    for tag in re.finditer(r"<(\w+)\b[^>]*>", text):
        name = tag.group(1).lower()
        for attr, value in re.findall(r"\b(src|href|data|poster|srcset)\s*=\s*[\"']?([^\"'\s>]+)",
                                      tag.group(0), flags=re.I):
            if name == "a" and attr.lower() == "href":
                continue
            if re.match(r"(https?:)?//", html.unescape(value), flags=re.I):
                found.append(tag.group(0)[:160])
    found += re.findall(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", text, flags=re.I)
    found += re.findall(r"@import\s+[^;]*(?:https?:)?//[^;]*;", text, flags=re.I)
    return found


def not_blank(png: Path) -> None:
    from matplotlib.image import imread

    image = imread(png)[..., :3]
    ink = (image < 0.9).any(axis=-1).mean()
    assert image.std() > 0.05 and ink > 0.02, (png, image.std(), ink)


@pytest.mark.parametrize("page", ["comparison.html", "baseline/report.html",
                                  "type-ii-report-in-hand/report.html"])
def test_page_is_self_contained(batch, page):
    text = (batch / page).read_text(encoding="utf-8")
    assert not external_refs(text), external_refs(text)
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.I)
    assert "Change the parameters" not in text and "run all cells" not in text.lower()


@pytest.mark.parametrize("page, title", [
    ("baseline/report.html", "Baseline"),
    ("type-ii-report-in-hand/report.html", "Type II report in hand")])
def test_report_renders_offline_with_its_figures(batch, page, title, tmp_path):
    dom, log = open_page(batch / page, tmp_path)
    assert re.search(rf"<title>\s*{re.escape(title)}\s*</title>", dom)
    headline = re.search(r"P\((audit-ready|report in hand) by \d+ \w+ \d{4}\) = \d+%", dom)
    assert headline, "no headline in the rendered page"
    loaded, total = re.search(r'data-images="(\d+)/(\d+)"', dom).groups()
    assert int(total) >= 8 and loaded == total, f"{loaded} of {total} images loaded"
    for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', dom):
        assert src.startswith("data:image/png;base64,") or (batch / page).parent.joinpath(
            src).is_file(), src[:80]
    assert "Provenance" in dom and "Random seed" in dom  # the table, not a Python dict
    assert "{'riskmodel_version'" not in html.unescape(dom)
    assert not console_errors(log), console_errors(log)


def test_comparison_renders_offline_with_its_figures(batch, tmp_path):
    dom, log = open_page(batch / "comparison.html", tmp_path)
    assert "Browser check" in dom
    assert "Baseline" in dom and "Type II report in hand" in dom
    assert re.search(r"\d+%", dom)
    loaded, total = re.search(r'data-images="(\d+)/(\d+)"', dom).groups()
    assert int(total) >= 1 and loaded == total, f"{loaded} of {total} images loaded"
    for href in re.findall(r'<a [^>]*href="([^"]+)"', dom):
        assert (batch / href).is_file(), href  # each scenario's report is there
    assert not console_errors(log), console_errors(log)


@pytest.mark.parametrize("page", ["comparison.html", "baseline/report.html"])
def test_screenshot_is_not_blank(batch, page, tmp_path):
    shot = tmp_path / "shot.png"
    run = chromium(batch / page, f"--screenshot={shot}", "--window-size=1280,1600",
                   "--hide-scrollbars", tmp=tmp_path)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    not_blank(shot)
    assert not console_errors(run.stderr), console_errors(run.stderr)
