"""Where things live in a project checkout."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The checkout containing `start` (default: the working directory)."""
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "_config.yml").is_file() and (candidate / "notebooks").is_dir():
                return cls(candidate)
        raise FileNotFoundError(f"{here} is not inside a linkbook project (no _config.yml and notebooks/ found)")

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def generated(self) -> Path:
        return self.root / "book" / "generated"

    @property
    def cache(self) -> Path:
        return self.root / ".linkbook-cache"

    @property
    def build(self) -> Path:
        return self.root / "_build"

    @property
    def lock_file(self) -> Path:
        return self.root / "requirements.lock"


@contextmanager
def exclusive(project: Project, out=print):
    """Hold the project's run lock: one run or build at a time per checkout.

    The lock is an flock, which the kernel releases when the process ends, even
    when it is killed, so a crashed run never leaves the project locked.
    """
    project.cache.mkdir(parents=True, exist_ok=True)
    with open(project.cache / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            out("Another linkbook run or build is using this project; waiting for it to finish...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
