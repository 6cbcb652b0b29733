"""YAML mapping files: safe loading, and problems that name the file, the line and the key.

A mapping is a small hand-written file: anchors and aliases, files over MAX_YAML_BYTES and
nesting deeper than MAX_YAML_DEPTH are refused (`helpers.data.plain_yaml`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.importers import ImportFailed, read_utf8
from helpers.data.plain_yaml import MAX_YAML_BYTES, plain_yaml_problems
from helpers.data.problems import Problem


class Mapping:
    """The content of a mapping file, with the line of every key for messages."""

    def __init__(self, name: str, data: dict, lines: dict[tuple, int] | None = None):
        self.name, self.data, self.lines = name, data, lines or {}
        self.problems: list[Problem] = []

    @classmethod
    def load(cls, path) -> Mapping:
        path = Path(path)
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            raise ImportFailed([Problem(path.name, None, None, f"mapping file is larger than {MAX_YAML_BYTES} bytes: "
                                        "is this really a mapping?")])
        text = read_utf8(path, "mapping file")
        refused = plain_yaml_problems(path.name, text, "mapping file")
        if refused:
            raise ImportFailed(refused)
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            rule = f"mapping file is not valid YAML: {getattr(err, 'problem', None) or err}"
            raise ImportFailed([Problem(path.name, mark.line + 1 if mark else None, None, rule)]) from None
        if not isinstance(data, dict):
            raise ImportFailed([Problem(path.name, None, None, "mapping file must hold keys and values (key: value)")])
        lines: dict[tuple, int] = {}
        _key_lines(node, (), lines)
        return cls(path.name, data, lines)

    def get(self, *keys, default=None):
        value = self.data
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def section(self, *keys) -> dict | None:
        """The mapping under `keys` (None when absent); a problem when it is not key: value pairs."""
        value = self.get(*keys)
        if value is None or isinstance(value, dict):
            return value
        self.problem(keys, "must hold keys and values (key: value)", value)
        return None

    def only(self, keys: tuple, allowed) -> None:
        """A problem for every key under `keys` that is not one of `allowed` (a typo is never ignored)."""
        for key in self.section(*keys) or {}:
            if key not in allowed:
                self.problem((*keys, key), f"unknown mapping key (expected one of {', '.join(allowed)})")

    def require(self, *keys):
        value = self.get(*keys)
        if value is None:
            self.problem(keys, "required mapping key is missing")
        return value

    def problem(self, keys, rule: str, value=None) -> None:
        keys = tuple(str(k) for k in keys)
        line = next((self.lines[keys[:n]] for n in range(len(keys), 0, -1) if keys[:n] in self.lines), None)
        self.problems.append(Problem(self.name, line, None, f"{'.'.join(keys)}: {rule}" if keys else rule, value))

    def check(self) -> None:
        """Raise ImportFailed if any problem was found in the mapping."""
        if self.problems:
            raise ImportFailed(self.problems)


def _key_lines(node, path: tuple, lines: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (str(key.value),)
            lines[sub] = key.start_mark.line + 1
            _key_lines(value, sub, lines)
