"""The benchmark README's arithmetic (benchmarks/run_benchmarks.py), on hand-made measurements."""

import importlib.util
import sys

import pytest

from support import ROOT


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))  # run_benchmarks imports measure from beside it
    spec = importlib.util.spec_from_file_location("run_benchmarks", ROOT / "benchmarks" / "run_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(ROOT / "benchmarks"))


MACHINE = {"cpu": "test", "cores": 2, "memory_gib": 1, "python": "3", "date": "d", "commit": "c", "load": 0.0}


def size(run_cpu, pages=10):
    return {"pages": pages, "measured": MACHINE, "run": {"cpu_s": run_cpu, "wall_s": 1.0},
            "book": {"cpu_s": pages * 0.3, "wall_s": 1.0}, "no-change": {"wall_s": 1.0}}


def test_added_cost_per_site_is_the_step_between_sizes(bench):
    # a fixed cost of 30 s and 2 s a site: whole-run CPU per site falls (3.2, 2.3, 2.06), one more site costs 2
    sizes = {"25": size(80), "100": size(230), "500": size(1030)}
    assert bench._added_per_site(sizes) == {"100": pytest.approx(2.0), "500": pytest.approx(2.0)}
    report = "\n".join(bench.sizes_report({"machine": MACHINE, "sizes": sizes}))
    assert "| cost of one more site flat: largest / smallest added CPU per site | 1.00 | yes |" in report
    assert "| cost per site flat: largest / smallest CPU per site | 1.55 | no |" in report


def test_added_cost_per_page_is_the_book_step_between_sizes(bench):
    # 25 fixed chapters at 0.1 s and 0.5 s a site page: the average per page rises (0.30, 0.42, 0.48),
    # one more page costs 0.5 at every step
    def book(sites):
        pages = 25 + sites
        return {**size(2.0 * sites, pages), "book": {"cpu_s": 25 * 0.1 + 0.5 * sites, "wall_s": 1.0}}

    sizes = {"25": book(25), "100": book(100), "500": book(500)}
    assert bench._added_per_page(sizes) == {"100": pytest.approx(0.5), "500": pytest.approx(0.5)}
    report = "\n".join(bench.sizes_report({"machine": MACHINE, "sizes": sizes}))
    assert "| Sphinx cost of one more page flat: largest / smallest added CPU per page | 1.00 | yes |" in report
    assert "| Sphinx cost per page flat: largest / smallest | 1.60 | no |" in report


def test_figure_cost_per_figure_is_compared_when_both_floors_report_it(bench):
    def runs(figure_cpu, figures):
        step = {"cpu_s": 10.0, "wall_s": 5.0}
        return [{"run": step, "book": step, "one-site": step,
                 "floor": {**step, "inner": {"figures": figures, "figure_cells_cpu_s": figure_cpu}}}]
    group = {"machine": MACHINE, "baseline": "base", "repeats": 1,
             "runs": {"baseline": runs(8.0, 40), "current": runs(4.6, 46)}}
    report = "\n".join(bench.compare_report(group))
    assert "| figures: CPU per figure | 0.200 | 0.100 | 0.50 |" in report
    assert "| figures: CPU per figure at most half of the baseline's | 0.50 | yes |" in report
    del group["runs"]["baseline"][0]["floor"]["inner"]["figures"], group["runs"]["baseline"][0]["floor"]["inner"]["figure_cells_cpu_s"]
    assert "figures:" not in "\n".join(bench.compare_report(group))  # an older floor: no figure rows
