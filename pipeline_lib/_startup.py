"""What our processes leave out at start-up: jsonschema's IRI format checker.

jsonschema is imported by nbformat (for papermill, jupytext and nbconvert) and by altair
(for Great Expectations). When ``rfc3987_syntax`` is installed, jsonschema imports it to
check the ``iri`` and ``iri-reference`` formats, and that import builds a grammar: 1.2-1.4 s
on a 2-core machine, paid by the command line before a run starts and again by the audit's
notebook kernel. It is installed here only because jupyterlab's jupyter-events asks for
``jsonschema[format-nongpl]``; the Glue jobs' lock (requirements/glue.txt) leaves it out.
No schema our processes validate (nbformat's, Great Expectations', altair's) uses those
formats, and jsonschema checks formats only when asked to.
"""

from __future__ import annotations

import sys

IRI_CHECKER = "rfc3987_syntax"


def skip_iri_format_checker() -> None:
    """Make jsonschema, when first imported, leave the IRI format checker out.

    A ``None`` in ``sys.modules`` makes ``import rfc3987_syntax`` raise ImportError, which
    jsonschema expects from an optional checker. Does nothing once jsonschema is loaded
    (its checkers are set) or when something imported the checker already.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault(IRI_CHECKER, None)  # type: ignore[arg-type]
