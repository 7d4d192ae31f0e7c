"""The project's own files: environment.yml in step with pyproject.toml; the command installed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_pins_the_same_ranges_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda += [d for group in env["dependencies"] if isinstance(group, dict)
              for d in group.get("pip", []) if not d.startswith("-e")]
    by_name = {_name(d): d.replace(" ", "") for d in conda}
    for requirement in wanted:
        assert by_name.get(_name(requirement)) == requirement.replace(" ", ""), requirement


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make test" in ci


def test_outputs_folder_holds_only_its_readme_in_git():
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "outputs/*" in ignore and "!outputs/README.md" in ignore
