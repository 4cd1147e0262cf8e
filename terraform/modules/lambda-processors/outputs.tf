output "function_names" {
  description = "Function name by handler (s3_trigger => <name_prefix>-s3-trigger, ...)."
  value       = { for name, f in aws_lambda_function.this : name => f.function_name }
}

output "function_arns" {
  description = "Function ARN by handler: the step-functions module's lambda_function_arns and the eventbridge module's trigger ARNs come from here."
  value       = { for name, f in aws_lambda_function.this : name => f.arn }
}

output "arns" {
  description = "Same as function_arns (the name the eventbridge and step-functions READMEs use)."
  value       = { for name, f in aws_lambda_function.this : name => f.arn }
}

output "invoke_arns" {
  description = "Invoke ARN by handler (API Gateway integrations)."
  value       = { for name, f in aws_lambda_function.this : name => f.invoke_arn }
}

output "timeouts" {
  description = "Timeout in seconds by handler (the eventbridge module's lambda_timeout_seconds is s3_trigger's)."
  value       = { for name, f in aws_lambda_function.this : name => f.timeout }
}

output "role_arns" {
  description = "Execution role ARN by handler (one role per function)."
  value       = { for name, r in aws_iam_role.this : name => r.arn }
}

output "role_names" {
  description = "Execution role name by handler: attach extra policies here (e.g. the eventbridge module's s3_trigger_consumer_policy_json on role_names[\"s3_trigger\"])."
  value       = { for name, r in aws_iam_role.this : name => r.name }
}

output "dlq_arns" {
  description = "Dead-letter queue ARN by asynchronously invoked handler (alarm on their depth)."
  value       = { for name, q in aws_sqs_queue.dlq : name => q.arn }
}

output "dlq_names" {
  description = "Dead-letter queue name by asynchronously invoked handler (the QueueName dimension of their CloudWatch metrics)."
  value       = { for name, q in aws_sqs_queue.dlq : name => q.name }
}

output "dead_letters_queue_arn" {
  description = "ARN of <name_prefix>-ingestion-dead-letters: one message per quarantined file, sent by the validating handlers."
  value       = aws_sqs_queue.dead_letters.arn
}

output "dead_letters_queue_name" {
  description = "Name of the ingestion dead-letter queue."
  value       = aws_sqs_queue.dead_letters.name
}

output "dead_letters_queue_url" {
  description = "URL of the ingestion dead-letter queue (PIPELINE_DEAD_LETTER_QUEUE_URL)."
  value       = aws_sqs_queue.dead_letters.url
}

output "log_group_names" {
  description = "CloudWatch log group name by handler (/aws/lambda/<function name>)."
  value       = { for name, g in aws_cloudwatch_log_group.this : name => g.name }
}
