output "files_rule_arn" {
  description = "ARN of the EventBridge rule on the raw bucket's \"Object Created\" events."
  value       = aws_cloudwatch_event_rule.files.arn
}

output "schedule_rule_arn" {
  description = "ARN of the daily EventBridge schedule rule."
  value       = aws_cloudwatch_event_rule.schedule.arn
}

output "schedule_expression" {
  description = "The daily rule's schedule: schedule.daily_cron of the params file."
  value       = aws_cloudwatch_event_rule.schedule.schedule_expression
}

output "batching_window_seconds" {
  description = "The event source mapping's batching window: watch.debounce_seconds of the params file."
  value       = aws_lambda_event_source_mapping.files.maximum_batching_window_in_seconds
}

output "files_queue_arn" {
  description = "ARN of the queue of \"Object Created\" events consumed by s3_trigger."
  value       = aws_sqs_queue.files.arn
}

output "files_queue_url" {
  description = "URL of the queue of \"Object Created\" events consumed by s3_trigger."
  value       = aws_sqs_queue.files.id
}

output "files_dlq_arn" {
  description = "ARN of the file queue's dead-letter queue (messages s3_trigger failed 5 times)."
  value       = aws_sqs_queue.files_dlq.arn
}

output "files_dlq_name" {
  description = "Name of the file queue's dead-letter queue (the QueueName dimension of its CloudWatch metrics; known at plan time)."
  value       = aws_sqs_queue.files_dlq.name
}

output "eventbridge_dlq_name" {
  description = "Name of the dead-letter queue of both rules' targets (the QueueName dimension of its CloudWatch metrics; known at plan time)."
  value       = aws_sqs_queue.eventbridge_dlq.name
}

output "eventbridge_dlq_arn" {
  description = "ARN of the dead-letter queue of both rules' targets (events EventBridge could not deliver)."
  value       = aws_sqs_queue.eventbridge_dlq.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the queue -> s3_trigger event source mapping."
  value       = aws_lambda_event_source_mapping.files.uuid
}

output "s3_trigger_consumer_policy_json" {
  description = "IAM policy the s3_trigger function's execution role needs to consume the file queue (attach it in the Lambda module)."
  value       = data.aws_iam_policy_document.s3_trigger_consumer.json
}
