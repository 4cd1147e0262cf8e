# What tells people that the pipeline needs them: two SNS topics (pipeline status, data
# quality) encrypted with their own KMS key, CloudWatch alarms on the things that go wrong
# (failed or timed-out executions, Lambda errors, messages in dead-letter queues, no
# successful run for a day, Athena scanning too much), and a dashboard of the same metrics.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Every alarm of this module is named <name_prefix>-...; the topic policies let CloudWatch
  # publish for those alarms only.
  alarm_arn_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"

  # Step Functions metrics alarmed on, by the suffix of the alarm name.
  state_machine_metrics = {
    "sfn-executions-failed"    = "ExecutionsFailed"
    "sfn-executions-timed-out" = "ExecutionsTimedOut"
  }

  # Athena publishes ProcessedBytes per query state and type; a Metrics Insights query sums
  # the DML queries of the workgroup whatever other dimensions the data points carry.
  athena_processed_bytes_query = "SELECT SUM(ProcessedBytes) FROM \"AWS/Athena\" WHERE WorkGroup = '${var.athena_workgroup_name}' AND QueryType = 'DML'"

  email_subscriptions = {
    for pair in setproduct(["status", "data_quality"], var.email_subscriptions) :
    "${pair[0]}:${pair[1]}" => { topic = pair[0], email = pair[1] }
  }
  topic_arns = {
    status       = aws_sns_topic.status.arn
    data_quality = aws_sns_topic.data_quality.arn
  }
}

# --- KMS key of the topics ------------------------------------------------------------------------

# A key of their own: CloudWatch alarms can publish to an encrypted topic only if the key
# policy lets cloudwatch.amazonaws.com use the key, which the data lake key should not allow.
resource "aws_kms_key" "topics" {
  description             = "Encrypts the ${var.name_prefix} notification topics (pipeline status, data quality)."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # The account administers the key and grants its use through IAM policies (e.g. the
      # Step Functions role that publishes run notifications). Resource "*" is this key.
      {
        Sid       = "AccountAdministersAndGrantsThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      # CloudWatch alarm actions publish to the encrypted topics.
      {
        Sid       = "CloudWatchAlarmsPublishToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
  tags = var.tags
}

resource "aws_kms_alias" "topics" {
  name          = "alias/${var.name_prefix}-notifications"
  target_key_id = aws_kms_key.topics.key_id
}

# --- topics ------------------------------------------------------------------------------------------

# Run started/succeeded/failed (Step Functions) and every alarm of this module.
resource "aws_sns_topic" "status" {
  name              = "${var.name_prefix}-pipeline-status"
  display_name      = "${var.name_prefix} pipeline status"
  kms_master_key_id = aws_kms_key.topics.arn
  tags              = var.tags
}

# Audit results: critical failures that stopped a publish, warnings, stale data.
resource "aws_sns_topic" "data_quality" {
  name              = "${var.name_prefix}-data-quality"
  display_name      = "${var.name_prefix} data quality"
  kms_master_key_id = aws_kms_key.topics.arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topic_arns

  arn = each.value
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # The account's principals use the topic as their IAM policies allow.
      {
        Sid       = "AccountPrincipalsThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:AddPermission",
          "sns:RemovePermission",
          "sns:DeleteTopic",
          "sns:Subscribe",
          "sns:ListSubscriptionsByTopic",
          "sns:Publish",
        ]
        Resource = each.value
      },
      {
        Sid       = "CloudWatchAlarmsOfThisModule"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = each.value
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.alarm_arn_pattern }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = each.value
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

# Each address gets both topics; AWS sends a confirmation e-mail first.
resource "aws_sns_topic_subscription" "email" {
  for_each = local.email_subscriptions

  topic_arn = local.topic_arns[each.value.topic]
  protocol  = "email"
  endpoint  = each.value.email
}

# --- alarms --------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "state_machine" {
  for_each = local.state_machine_metrics

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "Step Functions ${each.value} of ${var.state_machine_arn}: a pipeline run did not finish. Its execution history says where it stopped."
  namespace           = "AWS/States"
  metric_name         = each.value
  dimensions          = { StateMachineArn = var.state_machine_arn }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.failed_executions_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # no execution, nothing failed
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.status.arn]
  ok_actions          = [aws_sns_topic.status.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = toset(var.lambda_function_names)

  alarm_name          = "${var.name_prefix}-lambda-errors-${each.value}"
  alarm_description   = "Lambda function ${each.value} raised errors (invocations that failed)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.lambda_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # no invocation, no error
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.status.arn]
  ok_actions          = [aws_sns_topic.status.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letter_queue" {
  for_each = toset(var.dead_letter_queue_names)

  alarm_name          = "${var.name_prefix}-dlq-depth-${each.value}"
  alarm_description   = "Messages wait in the dead-letter queue ${each.value}: events or files that were not processed. Inspect them, then redrive or delete."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.dead_letter_queue_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # SQS stops reporting queues idle for 6 hours: empty ones
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.status.arn]
  ok_actions          = [aws_sns_topic.status.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "data_freshness" {
  alarm_name        = "${var.name_prefix}-data-freshness"
  alarm_description = "No execution of the state machine succeeded in the last ${var.freshness_threshold_hours} hours (AWS/States ExecutionsSucceeded): the curated data was not published, because the daily run failed, did not start, or is stuck."
  # Step Functions' own metric: a successful execution is a published run. Summed per hour;
  # the alarm fires when every one of the last freshness_threshold_hours hours had none. An
  # hour without data points is an hour without a success (breaching), so a pipeline that
  # stopped running alarms too.
  namespace           = "AWS/States"
  metric_name         = "ExecutionsSucceeded"
  dimensions          = { StateMachineArn = var.state_machine_arn }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.freshness_threshold_hours
  datapoints_to_alarm = var.freshness_threshold_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.status.arn, aws_sns_topic.data_quality.arn]
  ok_actions          = [aws_sns_topic.status.arn, aws_sns_topic.data_quality.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "athena_processed_bytes" {
  alarm_name          = "${var.name_prefix}-athena-processed-bytes"
  alarm_description   = "Queries of the Athena workgroup ${var.athena_workgroup_name} scanned more than ${var.athena_processed_bytes_threshold} bytes in ${var.athena_period_seconds} seconds (billed per byte scanned)."
  evaluation_periods  = 1
  threshold           = var.athena_processed_bytes_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching" # no query, nothing scanned
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.status.arn]
  ok_actions          = [aws_sns_topic.status.arn]
  tags                = var.tags

  metric_query {
    id          = "processed_bytes"
    label       = "ProcessedBytes of ${var.athena_workgroup_name}"
    expression  = local.athena_processed_bytes_query
    period      = var.athena_period_seconds
    return_data = true
  }
}

# --- dashboard ----------------------------------------------------------------------------------------

locals {
  dashboard_widgets = concat(
    [
      {
        type   = "metric"
        x      = 0
        y      = 0
        width  = 12
        height = 6
        properties = {
          title  = "Pipeline executions"
          region = local.region
          view   = "timeSeries"
          stat   = "Sum"
          period = var.alarm_period_seconds
          metrics = [
            for metric in ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"] :
            ["AWS/States", metric, "StateMachineArn", var.state_machine_arn]
          ]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 0
        width  = 12
        height = 6
        properties = {
          title   = "Successful runs per hour (alarm: none for ${var.freshness_threshold_hours} hours)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 3600
          metrics = [["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.state_machine_arn]]
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = 12
        width  = 12
        height = 6
        properties = {
          title   = "Athena bytes scanned (${var.athena_workgroup_name})"
          region  = local.region
          view    = "timeSeries"
          period  = var.athena_period_seconds
          metrics = [[{ expression = local.athena_processed_bytes_query, id = "processed_bytes", label = "ProcessedBytes" }]]
          annotations = {
            horizontal = [{ label = "alarm", value = var.athena_processed_bytes_threshold }]
          }
        }
      },
    ],
    length(var.lambda_function_names) == 0 ? [] : [
      {
        type   = "metric"
        x      = 0
        y      = 6
        width  = 12
        height = 6
        properties = {
          title   = "Lambda errors"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = var.alarm_period_seconds
          metrics = [for name in var.lambda_function_names : ["AWS/Lambda", "Errors", "FunctionName", name]]
        }
      },
    ],
    length(var.dead_letter_queue_names) == 0 ? [] : [
      {
        type   = "metric"
        x      = 12
        y      = 6
        width  = 12
        height = 6
        properties = {
          title   = "Messages in dead-letter queues"
          region  = local.region
          view    = "timeSeries"
          stat    = "Maximum"
          period  = var.alarm_period_seconds
          metrics = [for name in var.dead_letter_queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]]
        }
      },
    ],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
