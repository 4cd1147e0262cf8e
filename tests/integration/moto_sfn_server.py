"""A moto server that really executes Step Functions definitions, for the fidelity test.

Run as ``python -m tests.integration.moto_sfn_server PORT``; it serves on 127.0.0.1:PORT
until terminated. It runs in its own process because its settings are process-wide
(``MOTO_PORT``, moto's config, the patches below) and must not leak into other tests.

moto 5.2.5 needs three small patches to run the pipeline's definition as AWS does:

1. ``LambdaSimpleBackend.invoke`` (moto/awslambda_simple/models.py) never reports a
   function error; a queued response with ``errorType`` is made an unhandled error, so
   Step Functions sees the error name, as with a Lambda raising that exception.
2. ``glue:startJobRun.sync`` fails in moto's engine (``callback_endpoint`` is None for a
   service without ``.waitForTaskToken``; state_task_service_callback.py): the Glue task
   runs the ``.sync`` path of the original without the callback endpoint.
3. A Parallel branch failing with a ``States.*`` error (a failed Glue job) escapes the
   Parallel's Catch (branches_decl.py builds a CustomErrorName, which refuses ``States.``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from typing import Any


def patch_lambda_function_errors() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original = LambdaSimpleBackend.invoke

    def invoke(
        self: Any,
        function_name: Any,
        qualifier: Any,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        queued = bool(self.lambda_simple_results_queue)
        result = original(self, function_name, qualifier, body, headers, response_headers)
        if queued:
            try:
                document = json.loads(result)
            except (TypeError, ValueError):
                document = None
            if isinstance(document, dict) and "errorType" in document:
                response_headers["x-amz-function-error"] = "Unhandled"
        return result

    LambdaSimpleBackend.invoke = invoke


def patch_glue_sync() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_glue as glue,
    )

    def eval_integration_pattern(
        self: Any,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: Any,
        state_credentials: Any,
    ) -> None:
        if not env.is_running():  # an abandoned Parallel branch
            return
        self.timeout.eval(env=env)
        timeout_seconds = env.stack.pop()
        resolver = self._build_sync_resolver(
            env=env,
            resource_runtime_part=resource_runtime_part,
            normalised_parameters=normalised_parameters,
            state_credentials=state_credentials,
        )
        env.stack.append(
            self._eval_sync(
                env=env,
                sync_resolver=resolver,
                timeout_seconds=timeout_seconds,
                callback_endpoint=None,
                heartbeat_endpoint=None,
            )
        )

    glue.StateTaskServiceGlue._eval_integration_pattern = eval_integration_pattern


def patch_parallel_states_errors() -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

    def error_name(error_name: Any) -> Any:
        if error_name and str(error_name).startswith("States."):
            try:
                return StatesErrorName.from_name(error_name)
            except ValueError:
                pass
        return CustomErrorName(error_name=error_name)

    branches_decl.CustomErrorName = error_name


def main(port: int) -> None:
    os.environ["MOTO_PORT"] = str(port)  # the engine calls Lambda/Glue/SNS on this port
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    patch_lambda_function_errors()
    patch_glue_sync()
    patch_parallel_states_errors()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
