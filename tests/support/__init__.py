"""Support code shared by the test suite: paths, and throw-away project copies (`support.pipeline`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = ROOT / "data" / "synthetic"
FIXTURES = ROOT / "tests" / "fixtures"
