output "job_names" {
  description = "Glue job name by notebook (transaction_etl => <name_prefix>-transaction-etl, ...): the step-functions module's glue_job_names."
  value       = { for name, job in aws_glue_job.this : name => job.name }
}

output "job_arns" {
  description = "Glue job ARN by notebook."
  value       = { for name, job in aws_glue_job.this : name => job.arn }
}

output "notebooks" {
  description = "The notebook each job runs, by job key: its --notebook argument, relative to the notebooks folder (etl/transaction_etl.py)."
  value       = local.notebooks
}

output "database_names" {
  description = "Glue Data Catalog database name by zone: raw, processed, curated."
  value       = { for zone, db in aws_glue_catalog_database.this : zone => db.name }
}

output "role_arn" {
  description = "ARN of the IAM role the jobs run as."
  value       = aws_iam_role.job.arn
}

output "role_name" {
  description = "Name of the IAM role the jobs run as."
  value       = aws_iam_role.job.name
}

output "security_configuration_name" {
  description = "Name of the Glue security configuration of every job (KMS for S3, CloudWatch Logs, job bookmarks)."
  value       = aws_glue_security_configuration.this.name
}

output "runner_script_uri" {
  description = "s3:// URI every job runs: upload dist/glue/glue_runner.py here."
  value       = local.runner_uri
}

output "wheel_uri" {
  description = "s3:// URI of the pipeline_lib wheel the jobs install: upload dist/glue/ecom_pipeline-<version>-py3-none-any.whl here."
  value       = local.wheel_uri
}

output "params_uri" {
  description = "s3:// URI of the params file the jobs receive (--params_uri): upload params/<env>.yaml here."
  value       = local.params_uri
}
