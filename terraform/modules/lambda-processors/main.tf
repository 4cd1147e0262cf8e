# Every Lambda entry point of pipeline_lib/handlers as a function, all from one code package
# (dist/lambda/ecom-pipeline-lambda.zip, uploaded to the artifacts bucket by the packaging
# step) plus the AWS SDK for pandas managed layer (pandas, pyarrow, numpy, boto3).
# Each function has its own role (iam.tf), its own KMS-encrypted log group, X-Ray tracing,
# and, when it is invoked asynchronously, its own KMS-encrypted dead-letter queue.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # What each handler is, who invokes it, and its defaults. memory_mb, timeout_seconds,
  # ephemeral_storage_mb and reserved_concurrency can be overridden per function through
  # var.functions. reserved_concurrency -1 = no reservation (the account's shared pool).
  handlers = {
    s3_trigger = {
      description          = "Raw \"Object Created\" events (SQS batches): validate small files at once, start one execution per batch."
      invoked_by           = "sqs" # event source mapping of the eventbridge module's file queue
      memory_mb            = 3008  # validates files up to ingestion.lightweight_max_bytes (100 MiB) in pandas
      timeout_seconds      = 300
      ephemeral_storage_mb = 1024
      reserved_concurrency = 2 # = the mapping's maximum_concurrency: a burst of files is few batches, few runs
    }
    schedule_trigger = {
      description          = "The daily EventBridge schedule: start the run daily-<yesterday>."
      invoked_by           = "eventbridge" # asynchronous
      memory_mb            = 256
      timeout_seconds      = 30
      ephemeral_storage_mb = 512
      reserved_concurrency = 1 # one schedule, one run a day: a retry storm can never fan out
    }
    file_validator = {
      description          = "ValidateIncomingFiles: validate, deduplicate and route every pending raw file; pin the run's inputs."
      invoked_by           = "states" # lambda:invoke from the state machine (synchronous)
      memory_mb            = 3008
      timeout_seconds      = 900
      ephemeral_storage_mb = 2048
      reserved_concurrency = -1
    }
    file_router = {
      description          = "Which path a landed file takes: the lightweight Lambda or the Glue path."
      invoked_by           = "direct" # synchronous: the caller needs the answer
      memory_mb            = 256
      timeout_seconds      = 30
      ephemeral_storage_mb = 512
      reserved_concurrency = -1
    }
    lightweight_transform = {
      description          = "Validate and convert one small raw file to typed Parquet, without Glue."
      invoked_by           = "async" # fire-and-forget per file
      memory_mb            = 3008
      timeout_seconds      = 300
      ephemeral_storage_mb = 1024
      reserved_concurrency = -1
    }
    publish_curated = {
      description          = "PublishCuratedData: make the run's staged tables live, all at once."
      invoked_by           = "states"
      memory_mb            = 1024
      timeout_seconds      = 300
      ephemeral_storage_mb = 512
      reserved_concurrency = -1
    }
    refresh_athena_tables = {
      description          = "RefreshAthenaTables: point the Glue catalog's tables and partitions at the published versions."
      invoked_by           = "states"
      memory_mb            = 512
      timeout_seconds      = 300
      ephemeral_storage_mb = 512
      reserved_concurrency = -1
    }
    data_quality_check = {
      description          = "EvaluateQuality: read the run's quality report and decide whether it may publish."
      invoked_by           = "states"
      memory_mb            = 512
      timeout_seconds      = 60
      ephemeral_storage_mb = 512
      reserved_concurrency = -1
    }
    run_summary = {
      description          = "SummarizeSuccess/SummarizeFailure: the notification message of a finished run."
      invoked_by           = "states"
      memory_mb            = 512
      timeout_seconds      = 60
      ephemeral_storage_mb = 512
      reserved_concurrency = -1
    }
    api_handler = {
      description          = "The dashboard's analytics API behind API Gateway (HTTP API, payload v2): named queries on Athena."
      invoked_by           = "apigateway" # synchronous, 30 s integration limit
      memory_mb            = 1024
      timeout_seconds      = 30
      ephemeral_storage_mb = 512
      reserved_concurrency = 10 # a flood of requests is throttled here, not paid for in Athena scans
    }
  }

  functions = {
    for name, h in local.handlers : name => merge(h, {
      function_name        = "${var.name_prefix}-${replace(name, "_", "-")}"
      handler              = "pipeline_lib.handlers.${name}.handler"
      memory_mb            = coalesce(try(var.functions[name].memory_mb, null), h.memory_mb)
      timeout_seconds      = coalesce(try(var.functions[name].timeout_seconds, null), h.timeout_seconds)
      ephemeral_storage_mb = coalesce(try(var.functions[name].ephemeral_storage_mb, null), h.ephemeral_storage_mb)
      reserved_concurrency = coalesce(try(var.functions[name].reserved_concurrency, null), h.reserved_concurrency)
      asynchronous         = contains(var.async_functions, name)
    })
  }

  async_functions = { for name, f in local.functions : name => f if f.asynchronous }

  # ARNs built from names (not from the resources), so the IAM policies are known at plan
  # time and no policy waits on the resource it grants access to.
  log_group_arns = {
    for name, f in local.functions :
    name => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${f.function_name}"
  }
  dlq_names = { for name, f in local.async_functions : name => "${f.function_name}-dlq" }
  dlq_arns = {
    for name, queue in local.dlq_names :
    name => "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${queue}"
  }
  dead_letters_queue_name = "${var.name_prefix}-ingestion-dead-letters"
  dead_letters_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.dead_letters_queue_name}"

  # Step Functions ARN from its name: the state machine itself needs these functions' ARNs,
  # so taking its ARN as an input would be a dependency cycle.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.state_machine_name}"

  # The lake's buckets by zone; the _meta zone lives in the processed bucket unless named.
  buckets = merge(var.bucket_names, { meta = coalesce(var.bucket_names.meta, var.bucket_names.processed) })

  ledger_table_name = element(split("/", var.ledger_table_arn), 1)
  lock_table_name   = element(split("/", var.lock_table_arn), 1)

  # --- environment ------------------------------------------------------------------------
  # Read today by pipeline_lib (config.py, handlers/_runtime.py, api/_lambda.py):
  #   PIPELINE_ENV, PIPELINE_LAKE (only if var.lake_uri is set; else params' `lake`),
  #   PIPELINE_REPORTS, STATE_MACHINE_ARN (triggers), ALLOWED_ORIGIN (api_handler).
  # Expected by the AWS target (issue 13, not read by the code yet): the rest, see README.
  common_environment = merge(
    {
      PIPELINE_ENV                = var.environment
      PIPELINE_REPORTS            = "s3://${local.buckets.reports}/"
      PIPELINE_RAW_BUCKET         = local.buckets.raw
      PIPELINE_PROCESSED_BUCKET   = local.buckets.processed
      PIPELINE_CURATED_BUCKET     = local.buckets.curated
      PIPELINE_QUARANTINE_BUCKET  = local.buckets.quarantine
      PIPELINE_META_BUCKET        = local.buckets.meta
      PIPELINE_REPORTS_BUCKET     = local.buckets.reports
      PIPELINE_LEDGER_TABLE       = local.ledger_table_name
      PIPELINE_LOCK_TABLE         = local.lock_table_name
      PIPELINE_KMS_KEY_ARN        = var.kms_key_arn
      PIPELINE_RAW_DATABASE       = var.glue_database_names.raw
      PIPELINE_PROCESSED_DATABASE = var.glue_database_names.processed
      PIPELINE_CURATED_DATABASE   = var.glue_database_names.curated
    },
    var.lake_uri == null ? {} : { PIPELINE_LAKE = var.lake_uri },
  )

  extra_environment = {
    s3_trigger = {
      STATE_MACHINE_ARN              = local.state_machine_arn
      PIPELINE_DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dead_letters.url
    }
    schedule_trigger = {
      STATE_MACHINE_ARN = local.state_machine_arn
    }
    file_validator = {
      PIPELINE_DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dead_letters.url
    }
    lightweight_transform = {
      PIPELINE_DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dead_letters.url
    }
    api_handler = merge(
      {
        PIPELINE_ATHENA_WORKGROUP     = var.athena_workgroup_name
        PIPELINE_QUERY_RESULTS_BUCKET = local.buckets.query_results
      },
      var.api_allowed_origin == null ? {} : { ALLOWED_ORIGIN = var.api_allowed_origin },
    )
  }
}

# --- log groups -------------------------------------------------------------------------------

# Created before the functions (and named as Lambda names them), so Lambda never creates an
# unencrypted group without retention on the first invocation.
resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- dead-letter queues -------------------------------------------------------------------------

# One per asynchronously invoked function: events it still failed after Lambda's retries.
# Synchronous callers (the state machine's Retry/Catch, API Gateway, the SQS event source
# mapping's redrive queue) handle failures themselves, so their functions have none.
resource "aws_sqs_queue" "dlq" {
  for_each = local.async_functions

  name                              = local.dlq_names[each.key]
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

# The pipeline's own dead letters (ARCHITECTURE.md, "Validate"): a record per file that was
# quarantined, sent by the validating handlers; locally lake/_meta/dead_letter.jsonl.
resource "aws_sqs_queue" "dead_letters" {
  name                              = local.dead_letters_queue_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

# --- functions --------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_117:No VPC: the functions reach only regional AWS APIs (S3, DynamoDB, SQS, Step Functions, Athena, Glue); a VPC would need NAT or interface endpoints, above the whole stack's monthly budget, for no data path that leaves AWS.
  #checkov:skip=CKV_AWS_272:Code signing is not used: the one package is built reproducibly by `make package` in CI and pinned by its SHA-256 (source_code_hash); a signing profile is a later hardening step.
  #checkov:skip=CKV_AWS_116:Only asynchronously invoked functions (var.async_functions) have a dead-letter queue; the others are invoked synchronously (state machine Retry/Catch, API Gateway, the SQS mapping's redrive queue), where Lambda never uses one.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is set where it protects cost (the triggers, the API); the state machine's functions run a few times a day, and reserving for them would only take capacity from the account's shared pool.

  function_name = each.value.function_name
  description   = each.value.description
  role          = aws_iam_role.this[each.key].arn
  runtime       = "python3.12"
  handler       = each.value.handler
  architectures = ["x86_64"] # the AWSSDKPandas-Python312 layer, not -Arm64

  s3_bucket         = var.package_s3_bucket
  s3_key            = var.package_s3_key
  s3_object_version = var.package_s3_object_version
  source_code_hash  = var.package_sha256
  layers            = var.layer_arns

  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_seconds
  reserved_concurrent_executions = each.value.reserved_concurrency

  ephemeral_storage {
    size = each.value.ephemeral_storage_mb
  }

  environment {
    variables = merge(local.common_environment, lookup(local.extra_environment, each.key, {}))
  }
  kms_key_arn = var.kms_key_arn # the environment variables, at rest

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this[each.key].name
  }

  dynamic "dead_letter_config" {
    for_each = each.value.asynchronous ? [aws_sqs_queue.dlq[each.key].arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = merge(var.tags, { handler = each.key })

  # Lambda checks at creation that the role may send to the DLQ and write the logs.
  depends_on = [aws_iam_role_policy.this]
}

# Asynchronous invocations: 2 retries (Lambda's default, stated), events older than
# var.async_max_event_age_seconds go to the DLQ instead of running late.
resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = local.async_functions

  function_name                = aws_lambda_function.this[each.key].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = var.async_max_event_age_seconds
}
