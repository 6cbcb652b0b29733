"""YAML that a person writes by hand (dataset.yml, mapping files), read without surprises.

Anchors and aliases (`&name`, `*name`) let a few hundred bytes expand into billions of
nodes when a value is later printed or copied; they are refused, as are files over
MAX_YAML_BYTES and nesting deeper than MAX_YAML_DEPTH. The check reads parser events, so
nothing is built before the file is known to be plain.
"""

from __future__ import annotations

import yaml

from helpers.data.problems import Problem

MAX_YAML_BYTES = 1 * 2**20
MAX_YAML_DEPTH = 32


def plain_yaml_problems(name: str, text: str, what: str) -> list[Problem]:
    """The first anchor, alias or too-deep nesting in `text` as a problem (none: plain YAML).

    `what` names the kind of file in the messages ("mapping file", "dataset.yml").
    Syntax errors are left to the loader, which reports them with their line.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                where = f"{what}s" if what.endswith("file") else what
                return [Problem(name, event.start_mark.line + 1, None, "YAML anchors and aliases (&name, *name) "
                                f"are refused in {where}: write each value out")]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return [Problem(name, event.start_mark.line + 1, None,
                                    f"{what} is nested more than {MAX_YAML_DEPTH} levels deep")]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return []
    return []
