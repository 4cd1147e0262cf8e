# Offline: `terraform test` with a mocked AWS provider, plan only (make lint-infra runs it
# from this module's directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

# Known at plan time, so the alarm actions (which name the topics) can be checked in a plan.
override_resource {
  target          = aws_sns_topic.status
  override_during = plan
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:ecom-dev-pipeline-status"
  }
}

override_resource {
  target          = aws_sns_topic.data_quality
  override_during = plan
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:ecom-dev-data-quality"
  }
}

override_resource {
  target          = aws_kms_key.topics
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/9f9f9f9f-1111-2222-3333-444455556666"
    key_id = "9f9f9f9f-1111-2222-3333-444455556666"
  }
}

variables {
  name_prefix             = "ecom-dev"
  state_machine_arn       = "arn:aws:states:eu-west-1:123456789012:stateMachine:ecom-dev-pipeline"
  lambda_function_names   = ["ecom-dev-s3-trigger", "ecom-dev-file-validator"]
  dead_letter_queue_names = ["ecom-dev-raw-files-dlq", "ecom-dev-eventbridge-dlq"]
  athena_workgroup_name   = "ecom-pipeline-analytics-dev"
  email_subscriptions     = ["data-team@example.com"]
}

run "topics_are_encrypted_and_every_alarm_notifies_the_status_topic" {
  command = plan

  assert {
    condition     = aws_sns_topic.status.kms_master_key_id == aws_kms_key.topics.arn && aws_sns_topic.data_quality.kms_master_key_id == aws_kms_key.topics.arn
    error_message = "Both topics must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_kms_key.topics.enable_key_rotation == true
    error_message = "The topics' KMS key must rotate."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.topics.policy).Statement : s
      if s.Effect == "Allow" && try(s.Principal.Service, "") == "cloudwatch.amazonaws.com" && try(toset(s.Action), null) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    ]) == 1
    error_message = "The key policy must let CloudWatch alarms use the key, or their notifications to the encrypted topics are lost."
  }

  assert {
    condition = alltrue([
      for alarm in concat(
        values(aws_cloudwatch_metric_alarm.state_machine),
        values(aws_cloudwatch_metric_alarm.lambda_errors),
        values(aws_cloudwatch_metric_alarm.dead_letter_queue),
        [aws_cloudwatch_metric_alarm.data_freshness, aws_cloudwatch_metric_alarm.athena_processed_bytes],
      ) :
      contains(alarm.alarm_actions, "arn:aws:sns:eu-west-1:123456789012:ecom-dev-pipeline-status") &&
      contains(alarm.ok_actions, "arn:aws:sns:eu-west-1:123456789012:ecom-dev-pipeline-status") &&
      alarm.actions_enabled
    ])
    error_message = "Every alarm must notify the status topic (alarm and OK)."
  }

  assert {
    condition     = contains(aws_cloudwatch_metric_alarm.data_freshness.alarm_actions, "arn:aws:sns:eu-west-1:123456789012:ecom-dev-data-quality")
    error_message = "The freshness alarm must also notify the data quality topic."
  }

  assert {
    condition     = length(output.alarm_arns) == 2 + 2 + 2 + 1 + 1
    error_message = "Expected 8 alarms: 2 on executions, 1 per Lambda function (2), 1 per DLQ (2), freshness, Athena."
  }

  assert {
    condition = toset(keys(aws_sns_topic_subscription.email)) == toset(["status:data-team@example.com", "data_quality:data-team@example.com"]) && alltrue([
      for sub in values(aws_sns_topic_subscription.email) : sub.protocol == "email" && sub.endpoint == "data-team@example.com"
    ])
    error_message = "Each e-mail address must be subscribed to both topics."
  }

  # CloudWatch may publish for this module's alarms only; plain HTTP is refused.
  assert {
    condition = alltrue([
      for p in values(aws_sns_topic_policy.this) :
      length([
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Allow" && try(s.Principal.Service, "") == "cloudwatch.amazonaws.com" &&
        try(s.Condition.ArnLike["aws:SourceArn"], "") == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ecom-dev-*"
      ]) == 1 &&
      length([
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ]) == 1 &&
      length([for s in jsondecode(p.policy).Statement : s if s.Principal == "*" && s.Effect == "Allow"]) == 0
    ])
    error_message = "Each topic policy must let CloudWatch publish for this module's alarms, deny plain HTTP, and allow nothing to everyone."
  }
}

run "alarms_watch_the_right_metrics_with_the_configured_thresholds" {
  command = plan

  variables {
    failed_executions_threshold      = 2
    lambda_errors_threshold          = 3
    dead_letter_queue_threshold      = 5
    freshness_threshold_hours        = 30
    athena_processed_bytes_threshold = 5368709120
    alarm_period_seconds             = 600
  }

  assert {
    condition = {
      for name, alarm in aws_cloudwatch_metric_alarm.state_machine :
      name => [alarm.namespace, alarm.metric_name, alarm.dimensions.StateMachineArn, alarm.statistic, alarm.threshold, alarm.period, alarm.comparison_operator]
      } == {
      "sfn-executions-failed"    = ["AWS/States", "ExecutionsFailed", var.state_machine_arn, "Sum", 2, 600, "GreaterThanOrEqualToThreshold"]
      "sfn-executions-timed-out" = ["AWS/States", "ExecutionsTimedOut", var.state_machine_arn, "Sum", 2, 600, "GreaterThanOrEqualToThreshold"]
    }
    error_message = "The state machine alarms must watch ExecutionsFailed and ExecutionsTimedOut of the given ARN."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.state_machine["sfn-executions-failed"].alarm_name == "ecom-dev-sfn-executions-failed"
    error_message = "Alarm names must start with name_prefix (the topic policies allow those alarms only)."
  }

  assert {
    condition = {
      for name, alarm in aws_cloudwatch_metric_alarm.lambda_errors :
      name => [alarm.namespace, alarm.metric_name, alarm.dimensions.FunctionName, alarm.statistic, alarm.threshold]
      } == {
      for name in var.lambda_function_names : name => ["AWS/Lambda", "Errors", name, "Sum", 3]
    }
    error_message = "Each Lambda function must get an alarm on its Errors, with lambda_errors_threshold."
  }

  assert {
    condition = {
      for name, alarm in aws_cloudwatch_metric_alarm.dead_letter_queue :
      name => [alarm.namespace, alarm.metric_name, alarm.dimensions.QueueName, alarm.statistic, alarm.threshold]
      } == {
      for name in var.dead_letter_queue_names : name => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", name, "Maximum", 5]
    }
    error_message = "Each dead-letter queue must get an alarm on ApproximateNumberOfMessagesVisible, with dead_letter_queue_threshold."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.data_freshness.namespace == "AWS/States" &&
      aws_cloudwatch_metric_alarm.data_freshness.metric_name == "ExecutionsSucceeded" &&
      aws_cloudwatch_metric_alarm.data_freshness.dimensions == tomap({ StateMachineArn = var.state_machine_arn }) &&
      aws_cloudwatch_metric_alarm.data_freshness.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.data_freshness.period == 3600 &&
      aws_cloudwatch_metric_alarm.data_freshness.evaluation_periods == 30 &&
      aws_cloudwatch_metric_alarm.data_freshness.datapoints_to_alarm == 30 &&
      aws_cloudwatch_metric_alarm.data_freshness.threshold == 1 &&
      aws_cloudwatch_metric_alarm.data_freshness.comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.data_freshness.treat_missing_data == "breaching"
    )
    error_message = "The freshness alarm must fire when every hour of the last freshness_threshold_hours had no successful execution (AWS/States ExecutionsSucceeded < 1, missing data breaching)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.athena_processed_bytes.threshold == 5368709120 &&
      one(aws_cloudwatch_metric_alarm.athena_processed_bytes.metric_query).expression == "SELECT SUM(ProcessedBytes) FROM \"AWS/Athena\" WHERE WorkGroup = 'ecom-pipeline-analytics-dev' AND QueryType = 'DML'" &&
      one(aws_cloudwatch_metric_alarm.athena_processed_bytes.metric_query).return_data == true
    )
    error_message = "The Athena alarm must sum ProcessedBytes of the workgroup's queries, against athena_processed_bytes_threshold."
  }

  # The dashboard graphs the alarmed metrics.
  assert {
    condition = (
      aws_cloudwatch_dashboard.this.dashboard_name == "ecom-dev-pipeline" &&
      contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics]), var.state_machine_arn) &&
      alltrue([for name in concat(var.lambda_function_names, var.dead_letter_queue_names) : contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics]), name)]) &&
      contains([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics], [["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.state_machine_arn]]) &&
      length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if strcontains(jsonencode(w), "ProcessedBytes")]) == 1
    )
    error_message = "The dashboard must graph the executions, each Lambda function's errors, each DLQ, the successful runs (freshness) and Athena's bytes scanned."
  }
}

run "without_functions_or_queues_there_are_no_such_alarms_or_empty_graphs" {
  command = plan

  variables {
    lambda_function_names   = []
    dead_letter_queue_names = []
    email_subscriptions     = []
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.lambda_errors) == 0 && length(aws_cloudwatch_metric_alarm.dead_letter_queue) == 0 && length(aws_sns_topic_subscription.email) == 0
    error_message = "Empty lists must create no Lambda or DLQ alarm and no subscription."
  }

  assert {
    condition     = alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : length(w.properties.metrics) > 0])
    error_message = "The dashboard must not hold a graph without metrics."
  }
}

run "a_threshold_of_zero_failed_executions_is_refused" {
  command = plan

  variables {
    failed_executions_threshold = 0
  }

  expect_failures = [var.failed_executions_threshold]
}

run "a_period_that_is_not_a_multiple_of_60_is_refused" {
  command = plan

  variables {
    alarm_period_seconds = 90
  }

  expect_failures = [var.alarm_period_seconds]
}

run "a_freshness_window_cloudwatch_cannot_evaluate_is_refused" {
  command = plan

  variables {
    freshness_threshold_hours = 169 # over 7 days of hourly periods
  }

  expect_failures = [var.freshness_threshold_hours]
}

run "a_fractional_freshness_window_is_refused" {
  command = plan

  variables {
    freshness_threshold_hours = 26.5
  }

  expect_failures = [var.freshness_threshold_hours]
}

run "a_lambda_arn_instead_of_a_name_is_refused" {
  command = plan

  variables {
    lambda_function_names = ["arn:aws:lambda:eu-west-1:123456789012:function:ecom-dev-s3-trigger"]
  }

  expect_failures = [var.lambda_function_names]
}

run "a_bad_email_address_is_refused" {
  command = plan

  variables {
    email_subscriptions = ["data-team"]
  }

  expect_failures = [var.email_subscriptions]
}
