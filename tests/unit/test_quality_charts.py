"""The notebook's one import: every chart and table, from the module that defines it."""

from __future__ import annotations

import ast
import importlib

from pipeline_lib.quality import charts
from pipeline_lib.resources import resource_path


def test_every_public_name_is_the_object_of_its_own_module() -> None:
    for name in charts.__all__:
        value = getattr(charts, name)
        owner = getattr(value, "__module__", None)
        if owner is not None and owner.startswith("pipeline_lib.quality._"):
            assert getattr(importlib.import_module(owner), name) is value


def test_the_quality_notebook_uses_only_exported_names() -> None:
    notebook = resource_path("notebooks") / "quality" / "data_quality.py"
    used = {
        node.attr
        for node in ast.walk(ast.parse(notebook.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "charts"
    }
    assert used and used <= set(charts.__all__)
