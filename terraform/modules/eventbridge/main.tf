# How runs start on AWS:
#   - a raw file lands: S3 "Object Created" -> EventBridge rule -> SQS queue -> s3_trigger
#     Lambda, in batches (a burst of files is one batch and one run);
#   - every day: EventBridge schedule rule -> schedule_trigger Lambda.
# The schedule and the batching window come from the params files (params/base.yaml with
# params/<env>.yaml over it), the same values that `ecom-pipeline watch [--schedule]` uses
# locally; none of them is written here.

locals {
  # Each params file is read once; every value below comes from their merge. As
  # pipeline_lib.config merges them, a later file's key replaces an earlier file's, section
  # by section (the two levels read here).
  params_documents = [for f in var.params_files : yamldecode(file(f))]
  params           = { for section in ["schedule", "watch"] : section => merge([for doc in local.params_documents : try(doc[section], {})]...) }

  # schedule.daily_cron, EventBridge cron syntax in UTC (checked by the rule's precondition).
  schedule_expression = try(local.params.schedule.daily_cron, null)

  # watch.debounce_seconds: how long the event source mapping gathers messages before it
  # invokes s3_trigger. Same default as pipeline_lib/orchestration/watch.py.
  batching_window_seconds = try(local.params.watch.debounce_seconds, 5)

  # AWS: a visibility timeout of at least 6x the function timeout, plus the batching window.
  visibility_timeout_seconds = 6 * var.lambda_timeout_seconds + local.batching_window_seconds

  # arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
  schedule_trigger_arn_parts = split(":", var.schedule_trigger_function_arn)
  schedule_trigger_name      = local.schedule_trigger_arn_parts[6]
  schedule_trigger_qualifier = length(local.schedule_trigger_arn_parts) > 7 ? local.schedule_trigger_arn_parts[7] : null

  # S3 event notifications delivered to EventBridge ("Object Created", detail-type).
  object_filter = var.raw_key_prefix == null ? {} : {
    object = { key = [{ prefix = var.raw_key_prefix }] }
  }
  files_event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = merge(
      { bucket = { name = [var.raw_bucket_name] } },
      local.object_filter,
    )
  }

  # Delivery by EventBridge to its targets: retried with backoff for up to this long, then
  # sent to the EventBridge DLQ. schedule_trigger names the run daily-<date>, so a late or
  # repeated delivery still starts that day's run once.
  target_retry_attempts   = 10
  target_max_event_age_s  = 7200
  dlq_retention_seconds   = 1209600 # 14 days, the SQS maximum
  queue_retention_seconds = 345600  # 4 days; shorter than the DLQ's, which keeps the enqueue time
}

# --- queues -------------------------------------------------------------------------------------

# Messages s3_trigger failed to process 5 times.
resource "aws_sqs_queue" "files_dlq" {
  name                      = "${var.name_prefix}-raw-files-dlq"
  message_retention_seconds = local.dlq_retention_seconds
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = var.tags
}

# "Object Created" events of the raw bucket, consumed by s3_trigger in batches.
resource "aws_sqs_queue" "files" {
  name                       = "${var.name_prefix}-raw-files"
  visibility_timeout_seconds = local.visibility_timeout_seconds
  message_retention_seconds  = local.queue_retention_seconds
  kms_master_key_id          = var.kms_key_arn
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.files_dlq.arn
    maxReceiveCount     = 5
  })

  tags = var.tags
}

# Only the file queue may move its messages to the file DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "files_dlq" {
  queue_url = aws_sqs_queue.files_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.files.arn]
  })
}

# Events EventBridge could not deliver to a target (either rule), after its retries.
resource "aws_sqs_queue" "eventbridge_dlq" {
  name                      = "${var.name_prefix}-eventbridge-dlq"
  message_retention_seconds = local.dlq_retention_seconds
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = var.tags
}

data "aws_iam_policy_document" "files_queue" {
  statement {
    sid     = "RawObjectCreatedRuleOnly"
    effect  = "Allow"
    actions = ["sqs:SendMessage"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    resources = [aws_sqs_queue.files.arn]

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.files.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "files" {
  queue_url = aws_sqs_queue.files.id
  policy    = data.aws_iam_policy_document.files_queue.json
}

data "aws_iam_policy_document" "eventbridge_dlq" {
  statement {
    sid     = "UndeliveredEventsOfThisModulesRules"
    effect  = "Allow"
    actions = ["sqs:SendMessage"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    resources = [aws_sqs_queue.eventbridge_dlq.arn]

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.files.arn, aws_cloudwatch_event_rule.schedule.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "eventbridge_dlq" {
  queue_url = aws_sqs_queue.eventbridge_dlq.id
  policy    = data.aws_iam_policy_document.eventbridge_dlq.json
}

# --- file detection: raw bucket -> queue -> s3_trigger -------------------------------------------

resource "aws_cloudwatch_event_rule" "files" {
  name          = "${var.name_prefix}-raw-object-created"
  description   = "\"Object Created\" in s3://${var.raw_bucket_name}/${var.raw_key_prefix == null ? "" : var.raw_key_prefix}: queued for the s3_trigger Lambda."
  event_pattern = jsonencode(local.files_event_pattern)
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "files" {
  rule      = aws_cloudwatch_event_rule.files.name
  target_id = "raw-files-queue"
  arn       = aws_sqs_queue.files.arn

  retry_policy {
    maximum_retry_attempts       = local.target_retry_attempts
    maximum_event_age_in_seconds = local.target_max_event_age_s
  }

  dead_letter_config {
    arn = aws_sqs_queue.eventbridge_dlq.arn
  }

  # EventBridge may send only once the queue policy lets this rule in.
  depends_on = [aws_sqs_queue_policy.files]
}

# A burst of files within watch.debounce_seconds is one invocation (up to 100 events), and
# s3_trigger starts one execution per invocation.
resource "aws_lambda_event_source_mapping" "files" {
  event_source_arn                   = aws_sqs_queue.files.arn
  function_name                      = var.s3_trigger_function_arn
  batch_size                         = 100
  maximum_batching_window_in_seconds = local.batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.s3_trigger_max_concurrency
  }

  tags = var.tags

  lifecycle {
    # A batch size above 10 needs a batching window of at least 1 second; 300 is the maximum.
    precondition {
      condition     = can(tonumber(local.batching_window_seconds)) && try(floor(local.batching_window_seconds) == local.batching_window_seconds && local.batching_window_seconds >= 1 && local.batching_window_seconds <= 300, false)
      error_message = "watch.debounce_seconds of the params file (the queue's batching window) must be a whole number of seconds from 1 to 300 on AWS."
    }
  }
}

# --- daily schedule -> schedule_trigger -------------------------------------------------------

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name_prefix}-daily"
  description         = "The daily run (schedule.daily_cron of ${join(" + ", [for f in var.params_files : basename(f)])}): invokes the schedule_trigger Lambda."
  schedule_expression = local.schedule_expression
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = can(regex("^cron\\(.+\\)$", local.schedule_expression))
      error_message = "schedule.daily_cron of the params file must be an EventBridge cron expression in UTC: cron, then its six fields (minutes hours day-of-month month day-of-week year) in parentheses."
    }
  }
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "schedule-trigger"
  arn       = var.schedule_trigger_function_arn

  retry_policy {
    maximum_retry_attempts       = local.target_retry_attempts
    maximum_event_age_in_seconds = local.target_max_event_age_s
  }

  dead_letter_config {
    arn = aws_sqs_queue.eventbridge_dlq.arn
  }

  depends_on = [aws_lambda_permission.schedule]
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowEventBridgeDailyRule"
  action        = "lambda:InvokeFunction"
  function_name = local.schedule_trigger_name
  qualifier     = local.schedule_trigger_qualifier
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}

# --- what s3_trigger's execution role needs to consume the queue --------------------------------

data "aws_iam_policy_document" "s3_trigger_consumer" {
  statement {
    sid    = "ConsumeRawFilesQueue"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.files.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptRawFilesQueue"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
