"""JSONPath as Step Functions uses it: input/output filtering and payload templates.

Reading uses ``jsonpath-ng``; writing (``ResultPath``) only takes reference paths such as
``$.a.b``, as on AWS. A path that matches nothing where a value is required is a
``States.Runtime`` error, as on AWS.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse
from jsonpath_ng.ext.filter import Filter
from jsonpath_ng.jsonpath import Child, Descendants, Fields, Index, Root, Slice

try:
    from jsonpath_ng.jsonpath import Wildcard

    _WILDCARDS: tuple[type[JSONPath], ...] = (Wildcard,)
except ImportError:  # jsonpath-ng 1.8 (the last on Python 3.9, Glue): `*` is Fields("*")
    _WILDCARDS = ()

from pipeline_lib.exceptions import ASLError, StatesError

RUNTIME = "States.Runtime"
_INDEFINITE = re.compile(r"\*|\.\.|\[\?|\[[^\]]*[:,][^\]]*\]")
#: JSONPath as Step Functions reads it; jsonpath-ng's extensions (`len`, `this`, arithmetic,
#: `|`, `where`...) are refused: AWS rejects them when the state machine is created.
_STANDARD = (Root, Fields, *_WILDCARDS, Index, Slice, Filter)


@lru_cache(maxsize=512)
def compile_path(path: str) -> JSONPath:
    """A parsed JSONPath; ASLError when the text is not one."""
    if not path.startswith("$"):
        raise ASLError(f"{path!r} is not a JSONPath (it must start with $)")
    try:
        parsed = parse(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise ASLError(f"{path!r} is not a supported JSONPath: {exc}") from exc
    if not _is_standard(parsed):
        raise ASLError(f"{path!r} uses JSONPath syntax Step Functions does not have")
    return parsed


def _is_standard(node: JSONPath) -> bool:
    if isinstance(node, (Child, Descendants)):
        return _is_standard(node.left) and _is_standard(node.right)
    return type(node) in _STANDARD


def is_definite(path: str) -> bool:
    """Whether ``path`` names one node (a reference path) rather than a list of matches."""
    return not _INDEFINITE.search(path)


def read_path(data: Any, path: str, context: Mapping[str, Any]) -> Any:
    """The value at ``path`` (``$$.`` reads the context object); a list if indefinite."""
    target: Any = data
    if path.startswith("$$"):
        target, path = context, path[1:]
    if path == "$":
        return target
    matches = [m.value for m in compile_path(path).find(target)]
    if not is_definite(path):
        return matches
    if not matches:
        raise StatesError(RUNTIME, f"the JSONPath {path!r} could not be found in the input")
    return matches[0]


def apply_template(template: Any, data: Any, context: Mapping[str, Any]) -> Any:
    """``Parameters``/``ResultSelector``: keys ending in ``.$`` take the value at their path."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = read_path(data, value, context)
            else:
                out[key] = apply_template(value, data, context)
        return out
    if isinstance(template, list):
        return [apply_template(item, data, context) for item in template]
    return template


def write_path(data: Any, path: str, value: Any) -> Any:
    """``ResultPath``: ``data`` with ``value`` placed at the reference ``path`` (a copy)."""
    if path == "$":
        return value
    keys = path[2:].split(".")
    if not isinstance(data, dict):
        raise StatesError(RUNTIME, f"cannot apply ResultPath {path!r}: the input is not an object")
    root = copy.copy(data)
    node = root
    for key in keys[:-1]:
        child = node.get(key)
        if child is None:
            child = {}
        elif not isinstance(child, dict):
            raise StatesError(
                RUNTIME, f"cannot apply ResultPath {path!r}: {key!r} is not an object"
            )
        node[key] = child = copy.copy(child)
        node = child
    node[keys[-1]] = value
    return root
