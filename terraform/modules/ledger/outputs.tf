output "ledger_table_name" {
  description = "Name of the ingestion ledger table (the Lambdas' PIPELINE_LEDGER_TABLE)."
  value       = aws_dynamodb_table.ledger.name
}

output "ledger_table_arn" {
  description = "ARN of the ingestion ledger table; its indexes are <arn>/index/<name>."
  value       = aws_dynamodb_table.ledger.arn
}

output "ledger_index_names" {
  description = "Global secondary indexes of the ledger: by dataset and arrival time, and by source path."
  value       = [for index in aws_dynamodb_table.ledger.global_secondary_index : index.name]
}

output "lock_table_name" {
  description = "Name of the run-lock table (the Lambdas' PIPELINE_LOCK_TABLE)."
  value       = aws_dynamodb_table.run_lock.name
}

output "lock_table_arn" {
  description = "ARN of the run-lock table."
  value       = aws_dynamodb_table.run_lock.arn
}
