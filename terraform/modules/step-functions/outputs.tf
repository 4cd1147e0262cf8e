output "state_machine_arn" {
  description = "ARN of the pipeline state machine (start executions with it)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the pipeline state machine: <name_prefix>-pipeline."
  value       = aws_sfn_state_machine.this.name
}

output "role_arn" {
  description = "ARN of the IAM role the state machine runs as."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the KMS-encrypted CloudWatch log group that receives the execution logs (level ERROR)."
  value       = aws_cloudwatch_log_group.this.name
}
