"""The run's parent process and its pool workers plan, count and copy; they fit no model and draw nothing.

Importing pingouin, statsmodels' models or matplotlib costs a process seconds of CPU (pingouin alone
about 1 s, with xarray; scipy.stats about 0.5 s). Only the kernels that run the notebooks need them; the pool's fork server
imports them once for its workers and their kernels (helpers.pipeline.preload), and the parent never.
"""

import subprocess
import sys

HEAVY = ("pingouin", "matplotlib", "statsmodels.genmod", "statsmodels.regression", "seaborn", "networkx",
         "scipy.stats")


def test_the_run_and_its_workers_import_no_analysis_libraries():
    code = ("import sys; import helpers.cli.main, helpers.book.build, helpers.pipeline.execute, "
            "helpers.pipeline.kernels, helpers.report.withheld, helpers.report.provenance, helpers.report.escape; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
