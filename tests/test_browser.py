"""The batch's pages in a real browser: headless Chromium opens comparison.html and
scenarios' report.html from the session's real batch, with every host name unresolvable.

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

from tests._shared.background import early, run_process

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
def batch(executed_batch):
    """The session's real batch (tests/conftest.py: 3,000 iterations, seed 11), whose
    comparison page and scenario reports these checks open: its Baseline and its "Type II
    report in hand" (the other headline target)."""
    return executed_batch[1]


def chromium(page: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    return run_process(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--disable-default-apps", "--mute-audio",
         f"--user-data-dir={tmp / 'profile'}", f"--host-resolver-rules={OFFLINE}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
         *args, page.as_uri()],
        timeout=120)


def open_page(page: Path, tmp: Path) -> tuple[str, str, Path]:
    """From one run of Chromium: the page's DOM after load (with the image probe), the
    browser's log and a screenshot of the page (1280 x 1600)."""
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    shot = tmp / "shot.png"
    try:
        run = chromium(probe, "--dump-dom", f"--screenshot={shot}", "--window-size=1280,1600",
                       "--hide-scrollbars", tmp=tmp)
    finally:
        probe.unlink()
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    return run.stdout, run.stderr, shot


PAGES = ("comparison.html", "baseline/report.html", "type-ii-report-in-hand/report.html")


@early(after=["executed_batch_run"])
def rendered(ctx):
    """``open_page`` of each of ``PAGES`` of the session's batch, once for the tests that
    read its DOM and the test of its screenshot, in the background as soon as the batch
    is made (each run of Chromium takes a second). The pages are opened in a copy of the
    batch folder: ``open_page`` writes its probe next to the page, and the batch's other
    readers (tests/reporting/test_batch.py) run meanwhile. Returns {page: (DOM, log,
    screenshot)}."""
    batch = ctx.tmp_path_factory.mktemp("browser") / "batch"
    shutil.copytree(ctx.value("executed_batch_run").folder, batch, symlinks=True)
    return {page: open_page(batch / page, ctx.tmp_path_factory.mktemp("chromium"))
            for page in PAGES}


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


@pytest.mark.parametrize("page", PAGES)
def test_page_is_self_contained(batch, page):
    text = (batch / page).read_text(encoding="utf-8")
    assert not external_refs(text), external_refs(text)
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.I)
    assert "Change the parameters" not in text and "run all cells" not in text.lower()


@pytest.mark.parametrize("page, title", [
    ("baseline/report.html", "Baseline"),
    ("type-ii-report-in-hand/report.html", "Type II report in hand")])
def test_report_renders_offline_with_its_figures(batch, rendered, page, title):
    dom, log, _ = rendered[page]
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


def test_comparison_renders_offline_with_its_figures(batch, rendered):
    dom, log, _ = rendered["comparison.html"]
    assert "Session batch check" in dom  # the batch's title
    assert "Baseline" in dom and "Type II report in hand" in dom
    assert re.search(r"\d+%", dom)
    loaded, total = re.search(r'data-images="(\d+)/(\d+)"', dom).groups()
    assert int(total) >= 1 and loaded == total, f"{loaded} of {total} images loaded"
    for href in re.findall(r'<a [^>]*href="([^"]+)"', dom):
        assert (batch / href).is_file(), href  # each scenario's report is there
    assert not console_errors(log), console_errors(log)


@pytest.mark.parametrize("page", ["comparison.html", "baseline/report.html"])
def test_screenshot_is_not_blank(rendered, page):
    _, log, shot = rendered[page]
    not_blank(shot)
    assert not console_errors(log), console_errors(log)
