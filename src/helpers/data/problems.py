"""A problem found in a dataset, and how it is shown to a researcher."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters a terminal acts on (escape sequences, bell, bidirectional overrides): a message shows them escaped.
_PRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, line, column), which rule, what value.

    ``line`` counts the header as line 1, as a spreadsheet or text editor does;
    it is None for problems with a whole file.
    """

    file: str
    line: int | None
    column: str | None
    rule: str
    value: object = None

    def sort_key(self):
        return (self.file, self.line or 0, self.column or "", self.rule, str(self.value))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        text = f"{where}: {self.rule}"
        if self.value is not None:
            shown = str(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            text += f" (found {shown!r})"
        return _PRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                              text)


class InvalidDataset(Exception):
    """Raised by `load_dataset` when a dataset breaks the data contract."""

    def __init__(self, path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)")

    def report(self) -> str:
        lines = [f"Dataset {self.path} does not follow the data contract: {len(self.problems)} problem(s).", ""]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(Exception):
    """Bad arguments or input the user can fix; printed without a traceback (exit code 2)."""
