"""The command line turns its arguments into BuildOptions and never rewrites them."""

from __future__ import annotations

import copy

import pytest

from helpers.cli.main import _options, build_parser
from helpers.core.project import Project
from helpers.data.problems import UsageError
from helpers.pipeline.options import DEFAULT_DATA, BuildOptions, dataset_path

from support import ROOT


@pytest.mark.parametrize("command", ["run", "build", "watch"])
def test_run_build_and_watch_share_one_options_object_and_leave_the_namespace_alone(command):
    args = build_parser().parse_args([command, "--data", str(ROOT / "data" / "synthetic"), "--jobs", "3"])
    before = copy.deepcopy(vars(args))
    options = _options(args, Project.find())
    assert isinstance(options, BuildOptions)
    assert options.data == "data/synthetic" and options.jobs == 3 and options.results == "results"
    assert vars(args) == before


def test_build_options_carry_every_build_flag():
    args = build_parser().parse_args(["build", "--site", "S2", "--site", "S5", "--force", "--keep-going",
                                      "--fresh-kernels", "--scheduler", "tcp://127.0.0.1:1"])
    options = _options(args, Project.find())
    assert options.sites == ("S2", "S5") and options.force and options.keep_going and options.fresh_kernels
    assert options.scheduler == "tcp://127.0.0.1:1" and options.data == DEFAULT_DATA


def test_a_dataset_outside_the_project_is_kept_absolute(tmp_path):
    assert dataset_path(tmp_path, ROOT) == str(tmp_path.resolve())
    assert dataset_path(None, ROOT) == DEFAULT_DATA


def test_a_deny_list_inside_the_project_is_refused_before_anything_runs():
    args = build_parser().parse_args(["build", "--deny-list", str(ROOT / "README.md")])
    with pytest.raises(UsageError, match="inside the project"):
        _options(args, Project.find())
