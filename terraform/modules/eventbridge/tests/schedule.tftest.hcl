# Offline: `terraform test` with a mocked AWS provider, plan only. Run from this module's
# directory (tests/terraform/test_eventbridge_module.py does, with TF_CLI_CONFIG_FILE set
# to terraform/.terraformrc), so relative paths start here.

mock_provider "aws" {}

# Known at plan time, so the redrive policy (which holds it) can be checked in a plan.
override_resource {
  target          = aws_sqs_queue.files_dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:ecom-dev-raw-files-dlq"
  }
}

variables {
  name_prefix                   = "ecom-dev"
  raw_bucket_name               = "ecom-pipeline-raw-dev"
  s3_trigger_function_arn       = "arn:aws:lambda:eu-west-1:123456789012:function:ecom-dev-s3-trigger"
  schedule_trigger_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecom-dev-schedule-trigger:live"
  params_files                  = ["../../../params/base.yaml", "../../../params/dev.yaml"]
}

run "dev_params_drive_the_schedule_and_the_batching_window" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == yamldecode(file("../../../params/base.yaml")).schedule.daily_cron
    error_message = "The daily rule's schedule_expression is not schedule.daily_cron of params/base.yaml (params/dev.yaml keeps it)."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.files.maximum_batching_window_in_seconds == yamldecode(file("../../../params/base.yaml")).watch.debounce_seconds
    error_message = "The event source mapping's batching window is not watch.debounce_seconds of params/base.yaml (params/dev.yaml keeps it)."
  }

  assert {
    condition     = output.schedule_expression == yamldecode(file("../../../params/base.yaml")).schedule.daily_cron
    error_message = "The schedule_expression output is not the expression of the rule."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.files.batch_size == 100 && aws_lambda_event_source_mapping.files.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "s3_trigger must get batches of up to 100 events and report partial batch failures."
  }

  assert {
    condition     = aws_sqs_queue.files.visibility_timeout_seconds >= 6 * var.lambda_timeout_seconds
    error_message = "The file queue's visibility timeout is below 6x the Lambda timeout."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.files.redrive_policy) == { deadLetterTargetArn = aws_sqs_queue.files_dlq.arn, maxReceiveCount = 5 }
    error_message = "The file queue must redrive to its DLQ after 5 receives."
  }

  assert {
    condition     = aws_sqs_queue.files.sqs_managed_sse_enabled == true && aws_sqs_queue.files_dlq.sqs_managed_sse_enabled == true && aws_sqs_queue.eventbridge_dlq.sqs_managed_sse_enabled == true
    error_message = "Without kms_key_arn every queue must use SQS-managed SSE."
  }

  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.files.event_pattern).source == ["aws.s3"] &&
      jsondecode(aws_cloudwatch_event_rule.files.event_pattern)["detail-type"] == ["Object Created"] &&
      jsondecode(aws_cloudwatch_event_rule.files.event_pattern).detail.bucket.name == [var.raw_bucket_name] &&
      !can(jsondecode(aws_cloudwatch_event_rule.files.event_pattern).detail.object)
    )
    error_message = "The file rule must match \"Object Created\" of the raw bucket only, with no key filter by default."
  }

  assert {
    condition     = aws_lambda_permission.schedule.function_name == "ecom-dev-schedule-trigger" && aws_lambda_permission.schedule.qualifier == "live" && aws_lambda_permission.schedule.principal == "events.amazonaws.com"
    error_message = "The invoke permission must name the schedule_trigger function and qualifier taken from its ARN."
  }
}

run "another_params_file_gives_another_schedule" {
  command = plan

  variables {
    params_files   = ["../../../params/base.yaml", "tests/fixtures/params-custom.yaml"]
    raw_key_prefix = "transactions/"
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == yamldecode(file("tests/fixtures/params-custom.yaml")).schedule.daily_cron
    error_message = "The daily rule does not follow the params file merged over base.yaml."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression != yamldecode(file("../../../params/base.yaml")).schedule.daily_cron
    error_message = "The fixture's cron must differ from base.yaml's for this run to prove anything."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.files.maximum_batching_window_in_seconds == 20 && aws_sqs_queue.files.visibility_timeout_seconds == 6 * 60 + 20
    error_message = "Batching window and visibility timeout must follow watch.debounce_seconds of the given file."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.files.event_pattern).detail.object.key == [{ prefix = "transactions/" }]
    error_message = "raw_key_prefix must become a prefix filter on detail.object.key."
  }

  assert {
    condition     = aws_sqs_queue.files.kms_master_key_id == var.kms_key_arn && aws_sqs_queue.files_dlq.kms_master_key_id == var.kms_key_arn && aws_sqs_queue.eventbridge_dlq.kms_master_key_id == var.kms_key_arn
    error_message = "With kms_key_arn every queue must be encrypted with that key."
  }
}

run "a_schedule_that_is_not_cron_is_refused" {
  command = plan

  variables {
    params_files = ["../../../params/base.yaml", "tests/fixtures/params-rate.yaml"]
  }

  expect_failures = [aws_cloudwatch_event_rule.schedule]
}

run "a_batching_window_lambda_refuses_is_refused" {
  command = plan

  variables {
    params_files = ["../../../params/base.yaml", "tests/fixtures/params-no-debounce-window.yaml"]
  }

  expect_failures = [aws_lambda_event_source_mapping.files]
}
