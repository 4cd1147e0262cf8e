# Offline: `terraform test` with a mocked AWS provider, plan only. Run from this module's
# directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc (providers from the mirror).
# override_during needs Terraform >= 1.11.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

# Known at plan time, so the attachments that hold them can be checked in a plan.
override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:ecom-dev-some-function-dlq"
  }
}

override_resource {
  target          = aws_sqs_queue.dead_letters
  override_during = plan
  values = {
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecom-dev-ingestion-dead-letters"
  }
}

variables {
  name_prefix       = "ecom-dev"
  environment       = "dev"
  package_s3_bucket = "ecom-pipeline-artifacts-dev"
  package_s3_key    = "lambda/0.1.0/ecom-pipeline-lambda.zip"
  package_sha256    = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  layer_arns        = ["arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:20"]
  kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
  bucket_names = {
    raw           = "ecom-pipeline-raw-dev"
    processed     = "ecom-pipeline-processed-dev"
    curated       = "ecom-pipeline-curated-dev"
    quarantine    = "ecom-pipeline-quarantine-dev"
    reports       = "ecom-pipeline-reports-dev"
    query_results = "ecom-pipeline-query-results-dev"
    artifacts     = "ecom-pipeline-artifacts-dev" # s3-data-lake's bucket_names, as is
  }
  ledger_table_arn      = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecom-dev-ingestion-ledger"
  lock_table_arn        = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecom-dev-run-lock"
  state_machine_name    = "ecom-dev-pipeline"
  glue_database_names   = { raw = "ecom_dev_raw", processed = "ecom_dev_processed", curated = "ecom_dev_curated" }
  athena_workgroup_name = "ecom-pipeline-analytics-dev"
  api_allowed_origin    = "https://d111111abcdef8.cloudfront.net"
}

run "every_handler_is_a_function_of_the_one_package" {
  command = plan

  assert {
    condition = toset(keys(aws_lambda_function.this)) == toset([
      "s3_trigger", "schedule_trigger", "file_validator", "file_router", "lightweight_transform",
      "publish_curated", "refresh_athena_tables", "data_quality_check", "run_summary", "api_handler",
    ])
    error_message = "Every handler of pipeline_lib/handlers must be a function, and nothing else."
  }

  assert {
    condition = alltrue([
      for name, f in aws_lambda_function.this :
      f.handler == "pipeline_lib.handlers.${name}.handler" && f.runtime == "python3.12"
      && f.s3_bucket == var.package_s3_bucket && f.s3_key == var.package_s3_key
      && f.source_code_hash == var.package_sha256 && f.layers == var.layer_arns
    ])
    error_message = "Each function must run pipeline_lib.handlers.<name>.handler on python3.12 from the one package, with the layers."
  }

  assert {
    condition     = aws_lambda_function.this["s3_trigger"].function_name == "ecom-dev-s3-trigger" && aws_lambda_function.this["refresh_athena_tables"].function_name == "ecom-dev-refresh-athena-tables"
    error_message = "Function names must be <name_prefix>-<handler with - for _>."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.tracing_config[0].mode == "Active" && f.kms_key_arn == var.kms_key_arn])
    error_message = "Every function must trace with X-Ray (Active) and encrypt its environment with the key."
  }

  assert {
    condition = alltrue([
      for name, g in aws_cloudwatch_log_group.this :
      g.name == "/aws/lambda/${aws_lambda_function.this[name].function_name}" && g.retention_in_days == 365 && g.kms_key_id == var.kms_key_arn
      && aws_lambda_function.this[name].logging_config[0].log_group == g.name
    ])
    error_message = "Each function must log to its own /aws/lambda/<name> group, KMS-encrypted, with the retention."
  }

  assert {
    condition     = aws_lambda_function.this["file_validator"].memory_size == 3008 && aws_lambda_function.this["file_validator"].timeout == 900 && aws_lambda_function.this["schedule_trigger"].memory_size == 256 && aws_lambda_function.this["api_handler"].timeout == 30
    error_message = "Defaults: file_validator 3008 MB / 900 s, schedule_trigger 256 MB, api_handler 30 s."
  }
}

run "one_least_privilege_role_per_function" {
  command = plan

  assert {
    condition     = length(aws_iam_role.this) == 10 && length(distinct([for r in aws_iam_role.this : r.name])) == 10
    error_message = "There must be one role per function, ten distinct roles."
  }

  assert {
    condition     = alltrue([for name, p in aws_iam_role_policy.this : p.role == aws_iam_role.this[name].name && aws_iam_role.this[name].name == aws_lambda_function.this[name].function_name])
    error_message = "Each function's policy must be attached to that function's own role."
  }

  assert {
    condition = alltrue([
      for r in aws_iam_role.this :
      jsondecode(r.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com" && length(jsondecode(r.assume_role_policy).Statement) == 1
    ])
    error_message = "Only lambda.amazonaws.com may assume the roles."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : [
          for action in flatten([s.Action]) : action != "*" && !endswith(action, ":*") && s.Effect == "Allow"
        ]
      ]
    ]))
    error_message = "No statement may allow Action \"*\" or a whole service (\"<service>:*\")."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : s.Sid == "WriteXRayTraces" if contains(flatten([s.Resource]), "*")
      ]
    ]))
    error_message = "Resource \"*\" is allowed only for the X-Ray actions, which have no resource-level permissions."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.this["schedule_trigger"].policy).Statement : s.Action
    ])) == toset(["logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "states:StartExecution", "sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"])
    error_message = "schedule_trigger may only log, trace, start executions and send to its DLQ."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this["file_router"].policy).Statement : s if length(regexall("^(s3|dynamodb|glue|athena|states|sqs):", join(",", flatten([s.Action])))) > 0]) == 0
    error_message = "file_router decides from the event and the settings: it must get no data access at all."
  }

  assert {
    condition = sort([
      for name, p in aws_iam_role_policy.this : name
      if contains(flatten([for s in jsondecode(p.policy).Statement : s.Action]), "states:StartExecution")
    ]) == tolist(["s3_trigger", "schedule_trigger"])
    error_message = "Only the two triggers may start executions."
  }

  assert {
    # No crawlers: publish and refresh register every table, raw.<dataset> included.
    condition = alltrue([
      for name in ["publish_curated", "refresh_athena_tables"] :
      length(setsubtract(
        ["arn:aws:glue:eu-west-1:123456789012:table/ecom_dev_raw/*", "arn:aws:glue:eu-west-1:123456789012:table/ecom_dev_processed/*", "arn:aws:glue:eu-west-1:123456789012:table/ecom_dev_curated/*"],
        flatten([for s in jsondecode(aws_iam_role_policy.this[name].policy).Statement : s.Resource if s.Sid == "MaintainGlueCatalog"])
      )) == 0
    ])
    error_message = "publish_curated and refresh_athena_tables must maintain the tables of every zone's database (there are no crawlers)."
  }

  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.this["api_handler"].policy).Statement : s.Resource]), "arn:aws:glue:eu-west-1:123456789012:table/ecom_dev_raw/*")
    error_message = "api_handler reads curated only."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this["s3_trigger"].policy).Statement :
      s.Resource == ["arn:aws:states:eu-west-1:123456789012:stateMachine:ecom-dev-pipeline"] if s.Sid == "StartPipelineExecution"
    ])
    error_message = "StartExecution must be scoped to the pipeline's state machine ARN."
  }

  assert {
    condition = sort([
      for name, p in aws_iam_role_policy.this : name
      if contains(flatten([for s in jsondecode(p.policy).Statement : s.Action]), "s3:DeleteObject")
    ]) == tolist(["publish_curated"])
    error_message = "Only publish_curated (pruning old table versions) may delete objects."
  }

  assert {
    condition = !contains(flatten([
      for s in jsondecode(aws_iam_role_policy.this["api_handler"].policy).Statement : s.Resource if s.Sid == "WriteZoneObjects"
    ]), "arn:aws:s3:::ecom-pipeline-raw-dev/*") && contains(flatten([for s in jsondecode(aws_iam_role_policy.this["api_handler"].policy).Statement : s.Resource if s.Sid == "RunNamedQueriesInWorkgroup"]), "arn:aws:athena:eu-west-1:123456789012:workgroup/ecom-pipeline-analytics-dev")
    error_message = "api_handler must query in its workgroup only and never write the lake."
  }

  assert {
    condition = sort([
      for name, p in aws_iam_role_policy.this : name
      if contains(flatten([for s in jsondecode(p.policy).Statement : s.Action]), "dynamodb:PutItem") && contains(flatten([for s in jsondecode(p.policy).Statement : s.Resource]), var.ledger_table_arn)
    ]) == tolist(["file_validator", "lightweight_transform", "s3_trigger"])
    error_message = "Only the validating handlers may write the ingestion ledger."
  }
}

run "asynchronous_functions_have_their_own_encrypted_dlq" {
  command = plan

  assert {
    condition     = toset(keys(aws_sqs_queue.dlq)) == toset(["schedule_trigger", "lightweight_transform"])
    error_message = "By default the asynchronously invoked functions are schedule_trigger and lightweight_transform."
  }

  assert {
    condition = alltrue([
      for name, f in aws_lambda_function.this :
      contains(keys(aws_sqs_queue.dlq), name) ? (length(f.dead_letter_config) == 1 && f.dead_letter_config[0].target_arn == aws_sqs_queue.dlq[name].arn) : length(f.dead_letter_config) == 0
    ])
    error_message = "Each asynchronous function must have its DLQ attached (dead_letter_config); synchronous ones none."
  }

  assert {
    condition     = alltrue([for q in concat(values(aws_sqs_queue.dlq), [aws_sqs_queue.dead_letters]) : q.kms_master_key_id == var.kms_key_arn && q.message_retention_seconds == 1209600])
    error_message = "Dead-letter queues must be KMS-encrypted with the key and keep messages 14 days."
  }

  assert {
    condition     = aws_sqs_queue.dlq["schedule_trigger"].name == "ecom-dev-schedule-trigger-dlq"
    error_message = "DLQs are named <function name>-dlq."
  }

  assert {
    condition = contains(flatten([
      for s in jsondecode(aws_iam_role_policy.this["schedule_trigger"].policy).Statement : s.Resource if s.Sid == "SendDeadLetters"
    ]), "arn:aws:sqs:eu-west-1:123456789012:ecom-dev-schedule-trigger-dlq")
    error_message = "An asynchronous function's role must be allowed to send to its own DLQ."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this["schedule_trigger"].maximum_retry_attempts == 2 && aws_lambda_function_event_invoke_config.this["schedule_trigger"].maximum_event_age_in_seconds == 3600
    error_message = "Asynchronous invocations: 2 retries, events at most an hour old."
  }
}

run "concurrency_and_environment" {
  command = plan

  assert {
    condition = (
      aws_lambda_function.this["s3_trigger"].reserved_concurrent_executions == 2 &&
      aws_lambda_function.this["schedule_trigger"].reserved_concurrent_executions == 1 &&
      aws_lambda_function.this["api_handler"].reserved_concurrent_executions == 10 &&
      aws_lambda_function.this["publish_curated"].reserved_concurrent_executions == -1
    )
    error_message = "Reserved concurrency: s3_trigger 2, schedule_trigger 1, api_handler 10, no reservation elsewhere."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.environment[0].variables["PIPELINE_ENV"] == "dev" && f.environment[0].variables["PIPELINE_LEDGER_TABLE"] == "ecom-dev-ingestion-ledger"])
    error_message = "Every function must get PIPELINE_ENV and the ledger table's name."
  }

  assert {
    condition = sort([
      for name, f in aws_lambda_function.this : name if contains(keys(f.environment[0].variables), "STATE_MACHINE_ARN")
    ]) == tolist(["s3_trigger", "schedule_trigger"]) && aws_lambda_function.this["schedule_trigger"].environment[0].variables["STATE_MACHINE_ARN"] == "arn:aws:states:eu-west-1:123456789012:stateMachine:ecom-dev-pipeline"
    error_message = "STATE_MACHINE_ARN goes to the two triggers only, built from the state machine's name."
  }

  assert {
    condition     = aws_lambda_function.this["api_handler"].environment[0].variables["ALLOWED_ORIGIN"] == var.api_allowed_origin && !contains(keys(aws_lambda_function.this["run_summary"].environment[0].variables), "ALLOWED_ORIGIN")
    error_message = "ALLOWED_ORIGIN (the dashboard's CORS origin) goes to api_handler only."
  }

  assert {
    condition     = aws_lambda_function.this["run_summary"].environment[0].variables["PIPELINE_META_BUCKET"] == "ecom-pipeline-processed-dev" && !contains(keys(aws_lambda_function.this["run_summary"].environment[0].variables), "PIPELINE_ARTIFACTS_BUCKET")
    error_message = "Without a meta bucket the _meta zone is the processed bucket; extra zones of s3-data-lake's map are ignored."
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this["file_router"].environment[0].variables), "PIPELINE_LAKE")
    error_message = "Without lake_uri the params file's lake applies (no PIPELINE_LAKE)."
  }
}

run "overrides_change_only_what_they_name" {
  command = plan

  variables {
    functions = {
      file_validator = { memory_mb = 10240, ephemeral_storage_mb = 10240 }
      api_handler    = { reserved_concurrency = -1 }
    }
    async_functions = ["schedule_trigger"]
  }

  assert {
    condition     = aws_lambda_function.this["file_validator"].memory_size == 10240 && aws_lambda_function.this["file_validator"].timeout == 900 && aws_lambda_function.this["file_validator"].ephemeral_storage[0].size == 10240
    error_message = "An override must change the fields it sets and keep the others' defaults."
  }

  assert {
    condition     = aws_lambda_function.this["api_handler"].reserved_concurrent_executions == -1 && aws_lambda_function.this["s3_trigger"].reserved_concurrent_executions == 2
    error_message = "reserved_concurrency -1 must remove the reservation of that function only."
  }

  assert {
    condition     = toset(keys(aws_sqs_queue.dlq)) == toset(["schedule_trigger"]) && length(aws_lambda_function.this["lightweight_transform"].dead_letter_config) == 0
    error_message = "async_functions decides which functions get a DLQ."
  }
}

run "a_memory_size_lambda_refuses_is_refused" {
  command = plan

  variables {
    functions = { run_summary = { memory_mb = 64 } }
  }

  expect_failures = [var.functions]
}

run "an_api_timeout_beyond_api_gateway_is_refused" {
  command = plan

  variables {
    functions = { api_handler = { timeout_seconds = 60 } }
  }

  expect_failures = [var.functions]
}

run "an_unknown_handler_is_refused" {
  command = plan

  variables {
    functions = { s3_triger = { memory_mb = 512 } }
  }

  expect_failures = [var.functions]
}

run "a_layer_without_version_is_refused" {
  command = plan

  variables {
    layer_arns = ["arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312"]
  }

  expect_failures = [var.layer_arns]
}

run "a_wildcard_cors_origin_is_refused" {
  command = plan

  variables {
    api_allowed_origin = "*"
  }

  expect_failures = [var.api_allowed_origin]
}
