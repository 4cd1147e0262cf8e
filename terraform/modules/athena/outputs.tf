output "workgroup_name" {
  description = "Name of the Athena workgroup (pass it to every query: awswrangler's workgroup argument, pipeline_lib's Athena engine)."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup (for IAM policies: athena:StartQueryExecution and friends)."
  value       = aws_athena_workgroup.this.arn
}

output "output_location" {
  description = "Where the workgroup writes query results: s3://<query_results_bucket_name>/<workgroup_name>/."
  value       = local.output_location
}

output "bytes_scanned_cutoff_per_query" {
  description = "Bytes a query may scan before Athena cancels it (enforced for every query of the workgroup)."
  value       = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query
}

output "database_name" {
  description = "Default database of the named queries."
  value       = var.database_name
}

output "named_query_ids" {
  description = "ID of each named query, by name."
  value       = { for name, query in aws_athena_named_query.this : name => query.id }
}
