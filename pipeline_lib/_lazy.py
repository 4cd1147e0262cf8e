"""Lazy package exports: a package's public names, each imported when first used.

A package whose ``__init__`` imported every module it re-exports would make
``import pipeline_lib.query._loader`` (and every command of the CLI) pay for pandas,
papermill or boto3 that the caller never touches. A package lists its exports here
instead; type checkers read the same names from an ``if TYPE_CHECKING:`` import block, and
``tests/unit/test_lazy.py`` checks that the two lists agree.

Examples
--------
In ``pipeline_lib/query/__init__.py``::

    if TYPE_CHECKING:
        from pipeline_lib.query._athena import AthenaEngine
    __all__ = ["AthenaEngine"]
    __getattr__, __dir__ = lazy_exports(__name__, {"._athena": ("AthenaEngine",)})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Callable


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` for lazily imported names.

    Parameters
    ----------
    package
        The package's ``__name__``.
    modules
        Each submodule (relative, e.g. ``"._athena"``) with the names it exports.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign at the package's top level. A name is imported
        from its module on first access and then cached in the package's namespace.
    """
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module protocol's name
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module protocol's name
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
