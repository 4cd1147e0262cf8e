"""A moto server that `terraform apply` of an environment can run against (make test-infra).

Run as ``python tools/moto/server.py PORT``: it serves on 127.0.0.1:PORT, prints ``ready``
once it answers, and stops on SIGTERM or SIGINT. The patches below live in this process
only: they are never applied to the moto that other tests import, and the Terraform code
is never changed to get past a gap of moto's. Each patch says what moto 5.2.5 lacks and
what the AWS provider 5.100.0 does without it (measured here, see
/work/shared/AWS-EMULATION.md and tests/infra/test_dev_environment.py).

Missing operations (the provider retries an unknown operation until it gives up, so the
apply hangs for minutes and then fails):

1. ``states:ValidateStateMachineDefinition`` (called before every CreateStateMachine and
   UpdateStateMachine): validated with moto's own ASL parser, the check moto's parser
   backend makes at CreateStateMachine, so a broken definition still fails the apply.
2. ``states:ListStateMachineVersions`` (read after create): no versions (the module never
   publishes one).
3. ``athena:DeleteNamedQuery`` (destroy of aws_athena_named_query): deletes it.
4. CloudFront cache policies (``Create/Get/GetConfig/Update/DeleteCachePolicy``) and
   response headers policies (the same five for ``ResponseHeadersPolicy``): kept as sent,
   with an ID and an ETag, as CloudFront does; a policy in use by a distribution cannot be
   deleted (``CachePolicyInUse``/``ResponseHeadersPolicyInUse``), so a wrong destroy order
   fails here as on AWS.

Responses that drop what was sent (the provider reads the resource back after creating it
and stores what it reads, so the state, and a second plan, would be wrong):

5. CloudFront origins forget ``OriginAccessControlId``: kept, so the distribution reads back
   the origin access control it was created with.
6. CloudFront's viewer certificate invents ``SSLSupportMethod = sni-only`` and
   ``MinimumProtocolVersion = TLSv1`` for the default certificate; AWS answers no method and
   TLSv1 for CloudFront's own certificate: the method is left out unless one was sent.
7. SQS stores ``RedriveAllowPolicy`` but never returns it: the provider waits for it to
   appear (aws_sqs_queue_redrive_allow_policy hangs until its timeout). It is returned,
   and an empty one (how the provider removes it at destroy) is not.
8. SQS returns ``RedrivePolicy`` as ``json.dumps`` spaces it; AWS returns compact JSON, and
   the provider plans an update for the whitespace. Returned compact.
9. Lambda drops ``LoggingConfig`` and ``DeadLetterConfig``: every function would show a
   change on the next plan. Kept from CreateFunction/UpdateFunctionConfiguration and
   returned, with AWS's defaults (``Text``, ``/aws/lambda/<name>``) when none was sent.
10. S3's GetBucketNotificationConfiguration leaves out ``EventBridgeConfiguration``, which
    moto stored (aws_s3_bucket_notification would plan ``eventbridge = true`` again).
11. CloudFront invents ``ForwardedValues`` for a cache behavior that has a cache policy
    (AWS returns none: the two are exclusive): left out unless sent.

Requests that fail in moto but succeed on AWS:

12. ``s3:PutBucketLogging`` answers 500 when the target bucket's policy has a statement
    with ``Principal: "*"`` (every TLS-only policy has one) and ignores a statement whose
    ``Resource`` is a list; moto checks that the logging service may write to the target
    (``logging.s3.amazonaws.com``, ``s3:PutObject`` on ``<target>/<prefix>*``). The same
    check, reading every form the IAM policy grammar allows (a string or a list for
    Principal, Action and Resource).
13. Every object request to a bucket with a TLS-only policy (``Deny`` ``s3:*`` when
    ``Bool`` ``aws:SecureTransport`` is ``false``) answers 403: moto ignores the ``Bool``
    operator, so the conditional Deny applies to every request. On AWS every SDK call uses
    TLS; the server's plain-HTTP requests stand for those, so bucket policies are evaluated
    with ``aws:SecureTransport = true``: a statement whose ``Bool`` test of it fails does
    not apply (moto would turn any unmet condition into a Deny); the others are evaluated
    by moto as before, so an unconditional Deny still refuses.
14. CreateDistribution again with a caller reference already used answers 409
    ``DistributionAlreadyExists`` even when the configuration is the same. AWS answers such
    a retry with the distribution it created (the caller reference makes the call
    idempotent), and the provider's SDK retries a create whose answer was slow or lost:
    under load, an apply failed here and not on AWS. The same answer for the same
    configuration; 409 still for a different one.
"""

from __future__ import annotations

import copy
import json
import logging
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

# --- 1, 2: Step Functions -------------------------------------------------------------------------


def patch_stepfunctions() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: Any) -> ActionResult:
        # What moto's parser backend checks at CreateStateMachine: the definition parses as
        # ASL and builds into states (moto/stepfunctions/parser/models.py).
        definition = self._get_param("definition")
        diagnostics: list[dict[str, str]] = []
        try:
            AmazonStateLanguageParser.parse(definition)
        except Exception as error:  # every failure is a diagnostic, as on AWS
            diagnostics.append(
                {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": repr(error)}
            )
        result = "FAIL" if diagnostics else "OK"
        return ActionResult({"result": result, "diagnostics": diagnostics, "truncated": False})

    def list_state_machine_versions(self: Any) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


# --- 3: Athena ------------------------------------------------------------------------------------


def patch_athena() -> None:
    from moto.athena.responses import AthenaResponse

    def delete_named_query(self: Any) -> str:
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.named_queries.pop(query_id, None) is None:
            return self.error(f"NamedQuery {query_id} was not found", 400)
        return "{}"

    AthenaResponse.delete_named_query = delete_named_query


# --- 4, 5, 6, 11: CloudFront ----------------------------------------------------------------------


class _Policy:
    """A cache or response headers policy: its config as sent, an ID, an ETag."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.id = str(uuid.uuid4())
        self.config = config
        self.etag = uuid.uuid4().hex[:14].upper()
        self.last_modified = datetime.now(timezone.utc)


def _policy_operations(kind: str, config_key: str, in_use_error: str) -> dict[str, Any]:
    """Create/Get/GetConfig/Update/Delete<kind> for CloudFrontResponse."""
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.core.responses import ActionResult, EmptyResult

    policies: dict[tuple[str, str], dict[str, _Policy]] = {}

    def store(self: Any) -> dict[str, _Policy]:
        return policies.setdefault((self.current_account, self.partition), {})

    def find(self: Any) -> _Policy:
        policy_id = self._get_param("Id")
        policy = store(self).get(policy_id)
        if policy is None:
            raise CloudFrontException(f"NoSuch{kind}", f"The {kind} {policy_id} does not exist.")
        return policy

    def document(policy: _Policy) -> dict[str, Any]:
        return {
            "Id": policy.id,
            "LastModifiedTime": policy.last_modified,
            config_key: policy.config,
        }

    def create(self: Any) -> ActionResult:
        config = self._get_param(config_key, {})
        for existing in store(self).values():
            if existing.config.get("Name") == config.get("Name"):
                raise CloudFrontException(
                    f"{kind}AlreadyExists", f"A {kind} named {config.get('Name')} exists."
                )
        policy = _Policy(config)
        store(self)[policy.id] = policy
        location = f"https://cloudfront.amazonaws.com/2020-05-31/{kind}/{policy.id}"
        return ActionResult({kind: document(policy), "Location": location, "ETag": policy.etag})

    def get(self: Any) -> ActionResult:
        policy = find(self)
        return ActionResult({kind: document(policy), "ETag": policy.etag})

    def get_config(self: Any) -> ActionResult:
        policy = find(self)
        return ActionResult({config_key: policy.config, "ETag": policy.etag})

    def update(self: Any) -> ActionResult:
        policy = find(self)
        policy.config = self._get_param(config_key, {})
        policy.etag = uuid.uuid4().hex[:14].upper()
        policy.last_modified = datetime.now(timezone.utc)
        return ActionResult({kind: document(policy), "ETag": policy.etag})

    def delete(self: Any) -> EmptyResult:
        policy = find(self)
        field = "cache_policy_id" if kind == "CachePolicy" else "response_headers_policy_id"
        backend = self.backend
        for distribution in backend.distributions.values():
            behavior = distribution.distribution_config.DefaultCacheBehavior
            if getattr(behavior, field, None) == policy.id:
                raise CloudFrontException(
                    in_use_error, f"The {kind} {policy.id} is used by a distribution."
                )
        del store(self)[policy.id]
        return EmptyResult()

    snake = "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_")
    return {
        f"create_{snake}": create,
        f"get_{snake}": get,
        f"get_{snake}_config": get_config,
        f"update_{snake}": update,
        f"delete_{snake}": delete,
    }


def patch_cloudfront() -> None:
    from moto.cloudfront import models, urls
    from moto.cloudfront.responses import CloudFrontResponse

    for path in ("cache-policy", "response-headers-policy"):
        urls.url_paths[f"{{0}}/2020-05-31/{path}$"] = CloudFrontResponse.dispatch
        urls.url_paths[f"{{0}}/2020-05-31/{path}/(?P<policy_id>[^/]+)$"] = (
            CloudFrontResponse.dispatch
        )
        urls.url_paths[f"{{0}}/2020-05-31/{path}/(?P<policy_id>[^/]+)/config$"] = (
            CloudFrontResponse.dispatch
        )
    operations = {
        **_policy_operations("CachePolicy", "CachePolicyConfig", "CachePolicyInUse"),
        **_policy_operations(
            "ResponseHeadersPolicy", "ResponseHeadersPolicyConfig", "ResponseHeadersPolicyInUse"
        ),
    }
    for name, function in operations.items():
        setattr(CloudFrontResponse, name, function)

    original_origin_init = models.Origin.__init__

    def origin_init(self: Any, origin: dict[str, Any]) -> None:
        original_origin_init(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    models.Origin.__init__ = origin_init

    original_certificate_init = models.ViewerCertificate.__init__

    def certificate_init(self: Any, config: dict[str, Any]) -> None:
        original_certificate_init(self, config)
        if not config.get("SSLSupportMethod"):
            self.ssl_support_method = None

    models.ViewerCertificate.__init__ = certificate_init

    original_behavior_init = models.DefaultCacheBehaviour.__init__

    def behavior_init(self: Any, config: dict[str, Any]) -> None:  # 11
        sent_forwarded_values = "ForwardedValues" in config
        original_behavior_init(self, config)
        if not sent_forwarded_values and config.get("CachePolicyId"):
            self.forwarded_values = None

    models.DefaultCacheBehaviour.__init__ = behavior_init

    original_create = models.CloudFrontBackend.create_distribution_with_tags

    def create_distribution_with_tags(
        self: Any, distribution_config: dict[str, Any], tags: list[dict[str, str]]
    ) -> Any:  # 14
        reference = distribution_config.get("CallerReference")
        for existing in self.distributions.values():
            sent = getattr(existing, "sent_config", None)
            if existing.distribution_config.caller_reference == reference and (
                sent == distribution_config
            ):
                return existing, existing.location, existing.etag
        sent = copy.deepcopy(distribution_config)  # moto's models change what they read
        dist, location, etag = original_create(self, distribution_config, tags)
        dist.sent_config = sent
        return dist, location, etag

    models.CloudFrontBackend.create_distribution_with_tags = create_distribution_with_tags


# --- 7, 8: SQS ------------------------------------------------------------------------------------


def patch_sqs() -> None:
    from moto.sqs.models import Queue

    Queue.redrive_allow_policy = None  # a class default: queues created without one
    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    original = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result = dict(original(self))
        if not result.get("RedriveAllowPolicy"):  # None, or "" (removed): not returned
            result.pop("RedriveAllowPolicy", None)
        if result.get("RedrivePolicy"):  # 8
            compact = json.dumps(json.loads(result["RedrivePolicy"]), separators=(",", ":"))
            result["RedrivePolicy"] = compact
        return result

    Queue.attributes = property(attributes)


# --- 10, 12: S3 -----------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


#: The request context of every request to this server: an SDK call over TLS, as on AWS (13).
SECURE_TRANSPORT = {"aws:SecureTransport": "true"}


def patch_s3() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.models import LOGGING_SERVICE_PRINCIPAL, FakeBucket
    from moto.s3.responses import S3Response

    original_get_notification = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:  # 10
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return original_get_notification(self)
        if configuration.topic or configuration.queue or configuration.cloud_function:
            raise NotImplementedError("EventBridge with other notifications: not patched")
        self.data["Action"] = "GetBucketNotificationConfiguration"
        return self.serialized(ActionResult({"EventBridgeConfiguration": {}}))

    S3Response.get_bucket_notification = get_bucket_notification

    def log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
        if not target_bucket.policy:
            return False
        arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        allowed = {f"{arn}/{target_prefix or ''}*", f"{arn}/*", arn}
        for statement in _as_list(json.loads(target_bucket.policy.decode()).get("Statement")):
            principal = statement.get("Principal")
            services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
            if (
                statement.get("Effect") == "Allow"
                and LOGGING_SERVICE_PRINCIPAL in services
                and {"s3:PutObject", "s3:*", "*"} & set(_as_list(statement.get("Action")))
                and allowed & set(_as_list(statement.get("Resource")))
            ):
                return True
        return False

    FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions_enabled_policy)  # 12

    from moto.iam.access_control import IAMPolicy, PermissionResult

    def condition_holds(condition: Any) -> bool:  # 13
        """Whether a statement's Condition holds for a request over TLS. Only the
        ``Bool`` ``aws:SecureTransport`` test is evaluated; any other condition is taken
        to hold, as moto takes it."""
        for operator, tests in (condition or {}).items():
            if operator != "Bool" or not isinstance(tests, dict):
                continue
            for key, expected in tests.items():
                values = {str(v).lower() for v in _as_list(expected)}
                if key == "aws:SecureTransport" and SECURE_TRANSPORT[key] not in values:
                    return False
        return True

    def get_permission(self: Any, action: str, resource: str) -> Any:  # 13
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        # A statement whose condition does not hold does not apply (moto would turn it into
        # a Deny); the ones that apply are evaluated by moto without their condition.
        applies = [
            {k: v for k, v in statement.items() if k != "Condition"}
            for statement in _as_list(policy.get("Statement"))
            if condition_holds(statement.get("Condition"))
        ]
        if not applies:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": applies})).is_action_permitted(
            action, resource
        )

    FakeBucket.get_permission = get_permission


# --- 9: Lambda ------------------------------------------------------------------------------------


def patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.patched_logging_config = spec.get("LoggingConfig")
        self.patched_dead_letter_config = spec.get("DeadLetterConfig")

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.patched_logging_config = config_updates["LoggingConfig"]
        if "DeadLetterConfig" in config_updates:
            self.patched_dead_letter_config = config_updates["DeadLetterConfig"]
        return original_update(self, config_updates)

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        logging_config.update(getattr(self, "patched_logging_config", None) or {})
        config["LoggingConfig"] = logging_config
        dead_letter = getattr(self, "patched_dead_letter_config", None)
        if dead_letter and dead_letter.get("TargetArn"):
            config["DeadLetterConfig"] = dead_letter
        return config

    LambdaFunction.__init__ = init
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.get_configuration = get_configuration


def apply_patches() -> None:
    patch_stepfunctions()
    patch_athena()
    patch_cloudfront()
    patch_sqs()
    patch_s3()
    patch_lambda()


def main(port: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    apply_patches()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # Bound here, before "ready": a port already taken fails at once (ThreadedMotoServer
    # would bind in its thread and never report it).
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.shutdown()
    thread.join()


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: python tools/moto/server.py PORT")
    main(int(sys.argv[1]))
