"""The Sphinx build reads the executed notebooks' figures without importing the analysis libraries.

Each process that reads pages (a parallel build forks several) would otherwise pay about
2.5 s of CPU importing matplotlib, seaborn and SciPy for one metadata key.
"""

import json
import subprocess
import sys

HEAVY = ("matplotlib", "seaborn", "scipy", "pandas", "statsmodels", "networkx")


def test_figure_options_imports_no_analysis_library():
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [
        {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"},
         "metadata": {"linkbook_figure": {"alt": "an alt text", "name": "a-figure"}}}]}]}
    code = ("import json, sys\nfrom helpers.book.sphinx_ext import figure_options\n"
            f"out = json.loads(figure_options({json.dumps(json.dumps(notebook))}, 'book/page'))\n"
            "print(json.dumps([out['cells'][0]['metadata']['mystnb'],"
            f" sorted(m for m in {HEAVY!r} if m in sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    options, imported = json.loads(done.stdout)
    assert options == {"image": {"alt": "an alt text"}, "figure": {"name": "fig-book-page-a-figure"}}
    assert imported == []
