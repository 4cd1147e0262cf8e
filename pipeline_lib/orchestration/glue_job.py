"""The Glue job runner: run one notebook of the pipeline as a Glue Python shell job.

Every Glue job of terraform/modules/glue-etl has the same script (``glue_runner.py``, which
calls :func:`main`) and differs by its arguments. A run:

1. exports every ``--PIPELINE_*`` argument to the environment (the lake's buckets, the
   ledger table, the KMS key: what the Lambdas get as environment variables);
2. fetches ``resources.zip`` (``make package``: params, SQL, notebooks) next to the job and
   points ``PIPELINE_<NAME>_DIR`` at it, so the package finds them as in the repository;
3. runs ``--notebook`` with papermill, with the parameters its parameters cell declares:
   ``lake`` (from ``params/<env>.yaml``), ``run_id``, ``as_of``, ``env`` and the ``etl``
   settings, as the local executor does;
4. writes the executed notebook and its HTML next to the run's other reports
   (``--reports_uri``), whether it succeeded or not;
5. fails the job with the notebook's own error (the failing cell and exception).
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

from pipeline_lib.exceptions import ConfigError, PipelineError

logger = logging.getLogger(__name__)

#: Resources unpacked from resources.zip, and the variable that points the package at each.
UNPACKED = {
    "params": "PIPELINE_PARAMS_DIR",
    "sql": "PIPELINE_SQL_DIR",
    "notebooks": "PIPELINE_NOTEBOOKS_DIR",
}
REQUIRED = ("notebook", "run_id", "as_of")


def parse_arguments(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs of a Glue job's command line (Glue adds its own, e.g.
    ``--JOB_RUN_ID``; they are kept and ignored)."""
    arguments: dict[str, str] = {}
    items = list(argv)
    position = 0
    while position < len(items):
        item = items[position]
        if item.startswith("--") and position + 1 < len(items):
            arguments[item[2:]] = items[position + 1]
            position += 2
        else:
            position += 1
    missing = [name for name in REQUIRED if not arguments.get(name)]
    if missing:
        raise ConfigError(
            f"the Glue job lacks arguments {', '.join('--' + m for m in missing)}: the state "
            "machine passes --run_id and --as_of, the job definition --notebook"
        )
    return arguments


def resources_uri(arguments: Mapping[str, str]) -> Optional[str]:
    """``--resources_uri``, else ``resources.zip`` beside the ``params/`` folder of
    ``--params_uri`` (the layout ``make package`` uploads: ``<prefix>/params/<env>.yaml``
    and ``<prefix>/resources.zip``)."""
    if arguments.get("resources_uri"):
        return arguments["resources_uri"]
    params = arguments.get("params_uri")
    if not params:
        return None
    return params.rsplit("/", 2)[0] + "/resources.zip"


def _s3_parts(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3":
        raise ConfigError(f"expected an s3:// URI, got {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def unpack_resources(uri: str, folder: Path, s3: Any) -> dict[str, str]:
    """Download and unpack ``resources.zip``; return the environment that points at it."""
    bucket, key = _s3_parts(uri)
    archive = folder / "resources.zip"
    s3.download_file(bucket, key, str(archive))
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(folder / "resources")
    return {
        variable: str(folder / "resources" / name)
        for name, variable in UNPACKED.items()
        if (folder / "resources" / name).is_dir()
    }


def notebook_path(notebook: str) -> Path:
    """The file of ``--notebook``: a path relative to the notebooks folder
    (``PIPELINE_NOTEBOOKS_DIR``, the ``notebooks/`` of the unpacked resources.zip), such as
    ``etl/transaction_etl.py`` (the ``.py`` may be left out), as the glue-etl module passes it.

    Raises
    ------
    ConfigError
        When there is no such notebook.
    """
    from pipeline_lib.resources import resource_dir

    folder = resource_dir("notebooks")
    path = folder / notebook
    if path.suffix != ".py":
        path = path.with_suffix(".py")
    if not path.is_file():
        raise ConfigError(
            f"no notebook {notebook!r} ({path}): --notebook is relative to the notebooks "
            f"folder {folder}, e.g. etl/transaction_etl.py"
        )
    return path


def notebook_parameters(
    path: Path, arguments: Mapping[str, str], settings_params: Mapping[str, Any], lake: str
) -> dict[str, Any]:
    """What the notebook at ``path`` declares, from the run and the ``etl`` settings.

    Any other parameter the notebook declares may be a job argument (the state machine
    passes ``--staged true`` to the quality notebook, which then audits the run's staged
    tables); its text becomes the type of the notebook's default (``true``/``false`` for a
    bool, a number for a number).
    """
    from pipeline_lib.execution.notebooks import declared_defaults, load_notebook

    declared = declared_defaults(load_notebook(path))
    values: dict[str, Any] = dict(settings_params.get("etl") or {})
    for name, text in arguments.items():
        if name in declared and name not in ("notebook", *REQUIRED):
            values[name] = _typed(name, text, declared[name])
    values.update(
        lake=lake,
        run_id=arguments["run_id"],
        as_of=arguments["as_of"],
        env=arguments.get("env") or os.environ.get("PIPELINE_ENV", "local"),
    )
    return {name: value for name, value in values.items() if name in declared}


def _typed(name: str, text: str, default: Any) -> Any:
    """A job argument's text as the type of the notebook's default for it."""
    if isinstance(default, bool):
        if text.lower() not in ("true", "false"):
            raise ConfigError(f"--{name} must be true or false, got {text!r}")
        return text.lower() == "true"
    if isinstance(default, (int, float)):
        try:
            return type(default)(text)
        except ValueError:
            raise ConfigError(f"--{name} must be a number, got {text!r}") from None
    return text


def upload_reports(folder: Path, reports_uri: str, run_id: str, s3: Any) -> list[str]:
    """Copy the executed notebooks and their HTML to ``<reports_uri>/runs/<run_id>/``."""
    bucket, prefix = _s3_parts(reports_uri.rstrip("/") + "/")
    uploaded = []
    for path in sorted(folder.glob("*.ipynb")) + sorted(folder.glob("*.html")):
        key = f"{prefix}runs/{run_id}/{path.name}"
        s3.upload_file(str(path), bucket, key)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def _html_of(executed: Path) -> None:
    """The executed notebook as HTML beside it (best effort: a report, never a failure)."""
    try:
        import nbformat
        from nbconvert import HTMLExporter

        notebook = nbformat.read(executed, as_version=4)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
        executed.with_suffix(".html").write_text(body, encoding="utf-8")
    except Exception as exc:  # the notebook's own outcome is what matters
        logger.warning("no HTML for %s: %s", executed.name, exc)


def run(argv: Sequence[str], *, s3: Any = None, scratch: Optional[Path] = None) -> list[str]:
    """Run the job of ``argv``; return the reports written. Raises on the notebook's error."""
    arguments = parse_arguments(argv)
    for name, value in arguments.items():
        if name.startswith("PIPELINE_"):
            os.environ[name] = value
    if arguments.get("env"):
        os.environ["PIPELINE_ENV"] = arguments["env"]
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory(prefix="ecom-glue-", dir=scratch) as tmp:
        folder = Path(tmp)
        uri = resources_uri(arguments)
        if uri:
            os.environ.update(unpack_resources(uri, folder, s3))
        # Imported only now: the package reads the resource folders set just above.
        from pipeline_lib.config import load_settings
        from pipeline_lib.execution.notebooks import NotebookError, run_notebook

        settings = load_settings(env=os.environ.get("PIPELINE_ENV"))
        path = notebook_path(arguments["notebook"])
        parameters = notebook_parameters(path, arguments, settings.params, settings.lake)
        output = folder / "executed"
        failure: Optional[BaseException] = None
        try:
            run_notebook(path, output_dir=output, parameters=parameters)
        except NotebookError as exc:
            failure = exc
        for executed in output.glob("*.ipynb"):
            _html_of(executed)
        reports = arguments.get("reports_uri") or os.environ.get("PIPELINE_REPORTS")
        uploaded = (
            upload_reports(output, reports, arguments["run_id"], s3)
            if reports and reports.startswith("s3://")
            else []
        )
        if failure is not None:
            raise PipelineError(f"{path.stem} failed: {failure}") from failure
        return uploaded


def main(argv: Sequence[str]) -> int:
    """The entry point of ``glue_runner.py``: 0 on success; raises (the job fails) on error."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for uri in run(argv):
        logger.info("report: %s", uri)
    return 0
