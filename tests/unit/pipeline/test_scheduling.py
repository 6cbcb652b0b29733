"""Job order: the longest jobs are queued first, by their last recorded duration."""

from __future__ import annotations

from helpers.pipeline.cache import ExecutionStore
from helpers.pipeline.plan import Job
from helpers.pipeline.run import longest_first


def job(name: str, site: str | None = None) -> Job:
    return Job(name=name, template=f"{name}.ipynb", output=f"{name}.ipynb", parameters={}, site_id=site)


def record(store: ExecutionStore, tmp_path, name: str, seconds: float) -> None:
    """A successful run of job `name` that took `seconds`, put in the store as the pipeline does."""
    stage = tmp_path / "staging" / name
    (stage / "results").mkdir(parents=True)
    (stage / "notebook.ipynb").write_text("{}")
    store.put(name.encode().hex().rjust(64, "0"), stage, {"name": name, "duration_s": seconds})


def test_recorded_durations_order_the_queue_longest_first(tmp_path):
    cache = ExecutionStore(tmp_path)
    for name, seconds in {"overview": 1.2, "site-S1": 3.0, "site-S2": 2.5, "synthesis": 5.0}.items():
        record(cache, tmp_path, name, seconds)
    todo = [job("overview"), job("site-S1", "S1"), job("site-S2", "S2"), job("synthesis")]
    assert [j.name for j in longest_first(todo, cache)] == ["synthesis", "site-S1", "site-S2", "overview"]


def test_without_records_dataset_jobs_go_first_and_sites_keep_their_order(tmp_path):
    todo = [job("overview"), job("site-S1", "S1"), job("site-S2", "S2"), job("synthesis")]
    assert [j.name for j in longest_first(todo, ExecutionStore(tmp_path))] == [
        "overview", "synthesis", "site-S1", "site-S2"]


def test_a_site_without_a_record_queues_after_recorded_jobs_and_none_is_dropped(tmp_path):
    cache = ExecutionStore(tmp_path)
    record(cache, tmp_path, "synthesis", 5.0)
    todo = [job("site-S9", "S9"), job("synthesis"), job("overview")]
    ordered = longest_first(todo, cache)
    assert [j.name for j in ordered] == ["overview", "synthesis", "site-S9"]
    assert sorted(j.name for j in ordered) == sorted(j.name for j in todo)
