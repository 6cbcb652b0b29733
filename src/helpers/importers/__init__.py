"""Bring a research team's own exports into the data contract, and coded data back out.

- `redcap`: a REDCap raw CSV export and its data dictionary -> participants, questionnaires, interviews.
- `qdpx`: a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder) -> codebook,
  segments, codings, and participants or sites from its cases.
- `qdpx_export`: the codebook, segments and codings of a dataset -> a REFI-QDA project.

Each importer reads a YAML mapping (`mapping`, examples in data/mappings/) and reports what
it cannot import as `helpers.data.problems.Problem`s; `cli` wires them into `linkbook`.
"""

from __future__ import annotations


class ImportFailed(Exception):
    """Input that cannot be imported; `problems` says where and why (exit code 2)."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


def read_utf8(path, what: str = "file", hint: str = "") -> str:
    """The text of an input file (a UTF-8 byte-order mark is dropped), or ImportFailed saying why not."""
    from pathlib import Path

    from helpers.data.problems import Problem

    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ImportFailed([Problem(str(path), None, None, f"{what} does not exist")]) from None
    except OSError as err:
        raise ImportFailed([Problem(str(path), None, None, f"cannot read the {what}: {err.strerror}")]) from None
    except UnicodeDecodeError:
        raise ImportFailed([Problem(path.name, None, None, f"{what} is not UTF-8 text{hint}")]) from None


def short_list(items, limit: int = 10) -> str:
    """Items joined by commas, the first `limit` of them and how many more: a note stays one short line."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
