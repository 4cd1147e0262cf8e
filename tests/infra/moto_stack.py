"""Apply and destroy an environment root against a local moto server (make test-infra).

Nothing here can reach AWS: the root is copied to a temporary folder with an override file
that points every AWS service of the provider at the moto server, with credentials ``test``,
and replaces the S3 backend by a local state file. The repository's folders the modules read
(``terraform/modules``, ``params``, ``sql``, ``notebooks``) are linked beside the copy, so the
relative paths of the roots and modules resolve as in the repository.

``python -m tests.infra.moto_stack`` applies dev, prints the timings and destroys it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
ENVIRONMENTS = TERRAFORM_DIR / "environments"
CLI_CONFIG = TERRAFORM_DIR / ".terraformrc"
SERVER = ROOT / "tools" / "moto" / "server.py"

# Every service the pipeline's modules call (provider 5.100.0 endpoint names).
SERVICES = (
    "apigatewayv2",
    "athena",
    "cloudfront",
    "cloudwatch",
    "dynamodb",
    "events",
    "glue",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sfn",
    "sns",
    "sqs",
    "sts",
)

# The release the deploy workflow would pass (TF_VAR_*), for a placeholder package.
PACKAGE_KEY = "releases/moto-test/lambda/ecom-pipeline-lambda.zip"
ARTIFACTS_PREFIX = "releases/moto-test/glue"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """tools/moto/server.py in its own process, on a free port of 127.0.0.1.

    Its output goes to ``log`` (a pipe nobody reads would fill and block the server)."""

    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER), str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **credentials()},
                start_new_session=True,  # a Ctrl-C of the test run reaches it through stop()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready" in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"the moto server did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def credentials() -> dict[str, str]:
    """Fake credentials; the profile and shared files of the machine are never read."""
    return {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def placeholder_package() -> bytes:
    """A tiny Lambda zip: moto stores the code but never runs it (no Docker)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(
            "pipeline_lib/handlers/placeholder.py", date_time=(2026, 1, 1, 0, 0, 0)
        )
        archive.writestr(info, "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def override_file(endpoint: str, state_path: Path) -> str:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in SERVICES)
    return f"""# Written by tests/infra/moto_stack.py: every service is the moto server, never AWS.
terraform {{
  backend "local" {{
    path = "{state_path}"
  }}
}}

provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  max_retries                 = 3

  endpoints {{
{endpoints}
  }}
}}
"""


@dataclass
class Timings:
    init: float = 0.0
    apply: float = 0.0
    destroy: float = 0.0


class MotoEnvironment:
    """A copy of terraform/environments/<name> applied to a moto server."""

    def __init__(self, name: str, workdir: Path, server: MotoServer) -> None:
        self.name = name
        self.server = server
        self.workdir = workdir
        self.dir = workdir / "terraform" / "environments" / name
        self.state = workdir / "terraform.tfstate"
        self.timings = Timings()
        self.package = placeholder_package()
        self.package_sha256 = base64.b64encode(hashlib.sha256(self.package).digest()).decode()
        self.log = workdir / "terraform.log"
        self.destroyed = False  # a destroy ran (successful or not): never run a second one

    # --- the copy ---------------------------------------------------------------------------

    def prepare(self) -> None:
        (self.workdir / "terraform" / "environments").mkdir(parents=True, exist_ok=True)
        for name in ("params", "sql", "notebooks"):
            (self.workdir / name).symlink_to(ROOT / name)
        (self.workdir / "terraform" / "modules").symlink_to(TERRAFORM_DIR / "modules")
        shutil.copytree(
            ENVIRONMENTS / self.name,
            self.dir,
            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf"),
        )
        (self.dir / "moto_override.tf").write_text(
            override_file(self.server.endpoint, self.state), encoding="utf-8"
        )

    def variables(self) -> list[str]:
        release = {
            "package_version": "0.1.0",
            "package_s3_key": PACKAGE_KEY,
            "package_sha256": self.package_sha256,
            "artifacts_prefix": ARTIFACTS_PREFIX,
            # moto refuses a layer it does not hold; the code never runs there anyway.
            "lambda_layer_arns": "[]",
        }
        return [arg for name, value in release.items() for arg in ("-var", f"{name}={value}")]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **credentials(),
            "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
            "TF_IN_AUTOMATION": "1",
            "TF_DATA_DIR": str(self.workdir / ".terraform"),
            "TF_PLUGIN_CACHE_DIR": "",
            "CHECKPOINT_DISABLE": "1",
        }

    def terraform(self, *args: str, timeout: float = 600) -> str:
        """Run terraform in the copy; its output goes to terraform.log as it runs."""
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"\n$ terraform {' '.join(args)}\n")
            log.flush()
            start = log.tell()
            process = subprocess.Popen(
                ["terraform", f"-chdir={self.dir}", *args],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGINT)  # lets terraform save its state
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                returncode = -1
        with self.log.open(encoding="utf-8") as log:
            log.seek(start)
            output = log.read()
        if returncode != 0:
            what = "timed out" if returncode == -1 else f"failed ({returncode})"
            raise RuntimeError(f"terraform {args[0]} {what}:\n{output[-8000:]}")
        return output

    # --- the steps ----------------------------------------------------------------------------

    def init(self) -> None:
        started = time.monotonic()
        self.terraform("init", "-input=false", "-no-color", "-lockfile=readonly")
        self.timings.init = time.monotonic() - started

    def apply(self, parallelism: int = 40, timeout: float = 400) -> None:
        """The first deployment as documented: the artifacts bucket, the package, the rest."""
        started = time.monotonic()
        common = ["-input=false", "-no-color", "-auto-approve", f"-parallelism={parallelism}"]
        self.terraform(
            "apply",
            *common,
            *self.variables(),
            # The lake's buckets only (a single for_each instance would leave the module's
            # outputs of the other zones unknown to a targeted apply).
            "-target=module.pipeline.module.data_lake.aws_s3_bucket.this",
            timeout=timeout,
        )
        bucket = self.state_resource_attribute(
            'module.pipeline.module.data_lake.aws_s3_bucket.this["artifacts"]', "bucket"
        )
        self.client("s3").put_object(Bucket=bucket, Key=PACKAGE_KEY, Body=self.package)
        self.terraform("apply", *common, *self.variables(), timeout=timeout)
        self.timings.apply = time.monotonic() - started

    def plan_changes(self, parallelism: int = 30) -> str:
        """The text of a second plan ("No changes." when the apply converged)."""
        return self.terraform(
            "plan", "-input=false", "-no-color", f"-parallelism={parallelism}", *self.variables()
        )

    def destroy(self, parallelism: int = 40, timeout: float = 300, refresh: bool = True) -> None:
        """terraform destroy; refresh=False when a plan just read every resource back."""
        started = time.monotonic()
        self.destroyed = True
        self.terraform(
            "destroy",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"-parallelism={parallelism}",
            f"-refresh={'true' if refresh else 'false'}",
            *self.variables(),
            timeout=timeout,
        )
        self.timings.destroy = time.monotonic() - started

    # --- reading back ---------------------------------------------------------------------------

    def _terraform_stdout(self, *args: str) -> str:
        result = subprocess.run(
            ["terraform", f"-chdir={self.dir}", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"terraform {args[0]} failed:\n{result.stderr}")
        return result.stdout

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._terraform_stdout("output", "-json"))
        return {name: value["value"] for name, value in raw.items()}

    def state_resources(self) -> list[dict[str, Any]]:
        if not self.state.exists():
            return []
        return list(json.loads(self.state.read_text(encoding="utf-8")).get("resources", []))

    def state_resource_attribute(self, address: str, attribute: str) -> Any:
        for resource in self.state_resources():
            module = resource.get("module", "")
            base = f"{module}.{resource['type']}.{resource['name']}".lstrip(".")
            for instance in resource["instances"]:
                key = instance.get("index_key")
                full = (
                    base
                    if key is None
                    else f'{base}["{key}"]'
                    if isinstance(key, str)
                    else f"{base}[{key}]"
                )
                if full == address:
                    return instance["attributes"][attribute]
        raise KeyError(address)

    def region(self) -> str:
        for line in (self.dir / "terraform.tfvars").read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("aws_region"):
                return line.split("=", 1)[1].strip().strip('"')
        raise KeyError("aws_region")

    def client(self, service: str, region: str | None = None) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=region or self.region(),
            endpoint_url=self.server.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            aws_session_token="test",
        )


def main() -> None:
    """Apply dev to a fresh moto server, print the outputs and a second plan, destroy."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="moto-stack-") as tmp:
        server = MotoServer(log=Path(tmp) / "moto.log")
        server.start()
        stack = MotoEnvironment("dev", Path(tmp) / "dev", server)
        try:
            stack.prepare()
            stack.init()
            stack.apply()
            print(json.dumps(stack.outputs(), indent=2, default=str))
            print(stack.plan_changes()[-3000:])
        finally:
            try:
                stack.destroy()
            finally:
                server.stop()
                t = stack.timings
                print(f"init {t.init:.1f}s apply {t.apply:.1f}s destroy {t.destroy:.1f}s")
                if os.environ.get("KEEP_LOGS"):
                    keep = Path(os.environ["KEEP_LOGS"])
                    shutil.copy(stack.log, keep / "terraform.log")
                    shutil.copy(server.log, keep / "moto.log")


if __name__ == "__main__":
    main()
