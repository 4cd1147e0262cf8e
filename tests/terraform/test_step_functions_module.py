"""The Terraform module of the state machine, read as text (no terraform binary needed).

The ASL file's ``${name}`` placeholders and the keys the module passes to ``templatefile()``
must be the same set: a placeholder Terraform does not fill fails the deploy, a key the file
does not use is a name nobody reads. The role's policy must name every action it grants.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "step-functions"
DEFINITION = MODULE / "state-machine.json"
MAIN_TF = MODULE / "main.tf"

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TEMPLATEFILE = re.compile(
    r'templatefile\(\s*"\$\{path\.module\}/state-machine\.json"\s*,\s*([A-Za-z_][\w.]*|\{)'
)
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", re.MULTILINE)
_ACTIONS = re.compile(r"\b(not_actions|actions)\s*=\s*\[(.*?)\]", re.DOTALL)
_STRING = re.compile(r'"([^"]*)"')


def _main_tf() -> str:
    # Drop comments so commented-out HCL cannot satisfy or fail the checks.
    text = MAIN_TF.read_text(encoding="utf-8")
    return re.sub(r"(?m)^\s*(#|//).*$", "", text)


def _braced_block(text: str, open_at: int) -> str:
    """The text between the ``{`` at ``open_at`` and its matching ``}``."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
    raise AssertionError(f"unbalanced braces in {MAIN_TF}")


def _top_level_keys(block: str) -> set[str]:
    """``key = value`` keys of an HCL object, not those of objects nested in it."""
    keys: set[str] = set()
    depth = 0
    for line in block.splitlines():
        if depth == 0 and (match := _KEY.match(line)):
            keys.add(match.group(1))
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    return keys


def templatefile_keys(main_tf: str) -> set[str]:
    """The keys of the map main.tf passes to templatefile() for state-machine.json."""
    calls = _TEMPLATEFILE.findall(main_tf)
    assert len(calls) == 1, "main.tf must call templatefile() on state-machine.json once"
    argument = calls[0]
    if argument == "{":  # an inline map
        call = _TEMPLATEFILE.search(main_tf)
        assert call is not None
        return _top_level_keys(_braced_block(main_tf, call.end(1) - 1))
    # A local value: templatefile(..., local.definition_variables)
    scope, _, name = argument.partition(".")
    assert scope == "local" and name, f"cannot read the templatefile() argument {argument!r}"
    local = re.search(rf"(?m)^\s*{re.escape(name)}\s*=\s*\{{", main_tf)
    assert local is not None, f"local.{name} is not defined as a map in main.tf"
    return _top_level_keys(_braced_block(main_tf, local.end() - 1))


def test_every_placeholder_is_filled_and_every_key_is_used() -> None:
    placeholders = set(_PLACEHOLDER.findall(DEFINITION.read_text(encoding="utf-8")))
    keys = templatefile_keys(_main_tf())
    assert placeholders, "state-machine.json has no ${...} placeholders"
    assert keys == placeholders, (
        f"not passed to templatefile(): {sorted(placeholders - keys)}; "
        f"passed but not in state-machine.json: {sorted(keys - placeholders)}"
    )


def test_the_policy_grants_no_wildcard_action() -> None:
    lists = _ACTIONS.findall(_main_tf())
    assert lists, "main.tf grants no IAM actions at all"
    assert not [kind for kind, _ in lists if kind == "not_actions"], "NotAction grants too much"
    actions = [action for _, body in lists for action in _STRING.findall(body)]
    assert actions
    wildcards = [action for action in actions if "*" in action]
    assert not wildcards, f"wildcard actions in main.tf: {wildcards}"
    assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action) for action in actions), actions


@pytest.mark.parametrize(
    ("hcl", "expected"),
    [
        (
            'definition = templatefile("${path.module}/state-machine.json", {\n'
            '  a_arn = var.x\n  b_job = var.m["k"]\n  c = { nested = 1 }\n})',
            {"a_arn", "b_job", "c"},
        ),
        (
            "locals {\n  vars = {\n    a = 1\n    b = [\n      2,\n    ]\n  }\n}\n"
            'x = templatefile("${path.module}/state-machine.json", local.vars)',
            {"a", "b"},
        ),
    ],
)
def test_the_key_parser_reads_inline_maps_and_locals(hcl: str, expected: set[str]) -> None:
    assert templatefile_keys(hcl) == expected
