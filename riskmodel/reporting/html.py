"""The report notebook as a page to share: ``export_html`` (executed notebook -> HTML).

What ``riskmodel batch`` writes as ``<scenario>/report.html``:

- no code and no authoring notes: inputs are dropped, and so are cells tagged
  ``remove-cell`` or ``authoring`` (the "change the parameters and run all cells"
  instructions stay in the notebook for whoever opens it by hand);
- the scenario's label as the page ``<title>``;
- self-contained and offline: nbconvert's lab template loads require.js, MathJax and
  mermaid from CDNs and the widget renderer from unpkg; the template here drops all of
  them (the report needs none: its figures are inline PNGs, its tables plain HTML);
- tables read left to right: names left-aligned, numbers right-aligned.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["export_html", "styled", "REMOVE_TAGS", "TEMPLATE"]

REMOVE_TAGS = frozenset({"remove-cell", "authoring"})
"""Cell tags whose cells the exported report leaves out."""

TEMPLATE = "riskmodel_report.html.j2"

_TEMPLATE_TEXT = r"""{%- extends 'index.html.j2' -%}
{#- The lab template without anything fetched from the internet. -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">
main { max-width: 1200px; margin: 0 auto; }
.jp-RenderedHTMLCommon table { margin: 0.5em 0 1em 0; }
.jp-RenderedHTMLCommon tbody th { text-align: left; }
.jp-RenderedHTMLCommon thead th { vertical-align: bottom; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
</style>
{%- endblock html_head_css -%}
"""


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            extra_loaders=[DictLoader({TEMPLATE: _TEMPLATE_TEXT})])
    exporter.template_file = TEMPLATE
    tags = TagRemovePreprocessor(remove_cell_tags=set(REMOVE_TAGS), enabled=True)
    exporter.register_preprocessor(tags, enabled=True)
    return exporter


def export_html(notebook: str | Path, title: str) -> str:
    """The executed ``notebook`` as one offline HTML page titled ``title``.

    Parameters
    ----------
    notebook : str or Path
        An executed notebook.
    title : str
        The page's title.

    Returns
    -------
    str
        The HTML.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)  # widget state needs the online widget renderer
    nb.metadata["title"] = str(title)  # the lab template's <title> (HTML-escaped there)
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": str(title)}})
    return body


def _is_number(text: str) -> bool:
    """``$12,000``, ``+0.35``, ``-7%``, ``1.2 / 3.4``, ``20,000``: read as a number."""
    import re

    return bool(re.fullmatch(r"[\s$€£+\-−–/.,%0-9]*[0-9][\s$€£+\-−–/.,%0-9kMA-Z]*",
                             str(text).strip()))


def styled(table):
    """A report table for display: words left-aligned, numbers right-aligned, names (the
    index) left-aligned, and no cell cut short. Returns a pandas ``Styler``.

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    import pandas as pd

    with pd.option_context("display.max_colwidth", None):
        words = [c for c in table.columns
                 if not all(_is_number(v) for v in table[c].astype(str))]
    # cells are right-aligned by the page's own CSS; a table-wide "td" rule here would
    # outrank the per-cell rules below (#T_x td beats #T_x_row0_col0)
    styles = [{"selector": "th.row_heading", "props": [("text-align", "left")]},
              {"selector": "th.col_heading", "props": [("vertical-align", "bottom")]}]
    # a word column, its heading included (".colN" is on both)
    columns = {c: [{"selector": "", "props": [("text-align", "left")]}] for c in words}
    return table.style.set_table_styles(styles).set_table_styles(columns, overwrite=False)
