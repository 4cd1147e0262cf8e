output "status_topic_arn" {
  description = "ARN of the pipeline status topic: run notifications (pass it to step-functions as notification_topic_arn) and every alarm of this module."
  value       = aws_sns_topic.status.arn
}

output "data_quality_topic_arn" {
  description = "ARN of the data quality topic: audit failures and warnings, and the data freshness alarm."
  value       = aws_sns_topic.data_quality.arn
}

output "topics_kms_key_arn" {
  description = "ARN of the KMS key that encrypts both topics (rotation on). Publishers need kms:GenerateDataKey and kms:Decrypt on it: pass it to step-functions as notification_topic_kms_key_arn."
  value       = aws_kms_key.topics.arn
}

output "alarm_arns" {
  description = "ARN of every alarm, by alarm name."
  value = merge(
    { for alarm in aws_cloudwatch_metric_alarm.state_machine : alarm.alarm_name => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.lambda_errors : alarm.alarm_name => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.dead_letter_queue : alarm.alarm_name => alarm.arn },
    { (aws_cloudwatch_metric_alarm.data_freshness.alarm_name) = aws_cloudwatch_metric_alarm.data_freshness.arn },
    { (aws_cloudwatch_metric_alarm.athena_processed_bytes.alarm_name) = aws_cloudwatch_metric_alarm.athena_processed_bytes.arn },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard: <name_prefix>-pipeline."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_arn" {
  description = "ARN of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_arn
}
