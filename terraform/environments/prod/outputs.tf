# The same file in dev, staging and prod: the pipeline module's outputs. deploy-environment.yml
# reads artifacts_bucket, raw_bucket, state_machine_arn, dashboard_bucket, distribution_id,
# api_endpoint and status_topic_arn.

output "artifacts_bucket" {
  description = "Bucket of the release artifacts: dist/ is uploaded under releases/<commit>/."
  value       = module.pipeline.artifacts_bucket
}

output "raw_bucket" {
  description = "Raw zone bucket: files landed under <dataset>/ingest_date=YYYY-MM-DD/ start runs."
  value       = module.pipeline.raw_bucket
}

output "state_machine_arn" {
  description = "The pipeline's state machine (start executions with it; always pass a name)."
  value       = module.pipeline.state_machine_arn
}

output "dashboard_bucket" {
  description = "Private bucket of the dashboard's files (upload dashboard/ with config.js's apiBase = api_endpoint)."
  value       = module.pipeline.dashboard_bucket
}

output "distribution_id" {
  description = "CloudFront distribution of the dashboard (invalidate /* after an upload)."
  value       = module.pipeline.distribution_id
}

output "dashboard_url" {
  description = "Where users open the dashboard."
  value       = module.pipeline.dashboard_url
}

output "api_endpoint" {
  description = "Base URL of the analytics API (config.js `apiBase`)."
  value       = module.pipeline.api_endpoint
}

output "status_topic_arn" {
  description = "SNS topic of run notifications and every alarm."
  value       = module.pipeline.status_topic_arn
}

output "quality_topic_arn" {
  description = "SNS topic of data quality results and the freshness alarm."
  value       = module.pipeline.quality_topic_arn
}

output "bucket_names" {
  description = "Lake bucket by zone: raw, processed, curated, quarantine, reports, query_results, artifacts."
  value       = module.pipeline.bucket_names
}

output "access_log_bucket" {
  description = "Bucket of the lake buckets' S3 server access logs."
  value       = module.pipeline.access_log_bucket
}

output "kms_key_arn" {
  description = "The lake's customer managed key (buckets, queues, log groups, tables)."
  value       = module.pipeline.kms_key_arn
}

output "topics_kms_key_arn" {
  description = "The key of the two SNS topics (publishers need kms:GenerateDataKey on it)."
  value       = module.pipeline.topics_kms_key_arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = module.pipeline.state_machine_name
}

output "athena_workgroup" {
  description = "Athena workgroup of every query (query.workgroup of params/<env>.yaml)."
  value       = module.pipeline.athena_workgroup
}

output "athena_output_location" {
  description = "Where the workgroup writes query results."
  value       = module.pipeline.athena_output_location
}

output "athena_bytes_scanned_cutoff" {
  description = "Bytes one query may scan (query.bytes_scanned_cutoff of params/<env>.yaml), enforced."
  value       = module.pipeline.athena_bytes_scanned_cutoff
}

output "named_query_ids" {
  description = "Athena named query ID by sql/ file name."
  value       = module.pipeline.named_query_ids
}

output "glue_database_names" {
  description = "Glue Data Catalog database by zone."
  value       = module.pipeline.glue_database_names
}

output "glue_job_names" {
  description = "Glue job by notebook."
  value       = module.pipeline.glue_job_names
}

output "glue_runner_script_uri" {
  description = "Where the release's glue_runner.py must be (every job's script)."
  value       = module.pipeline.glue_runner_script_uri
}

output "glue_wheel_uri" {
  description = "Where the release's wheel must be."
  value       = module.pipeline.glue_wheel_uri
}

output "glue_params_uri" {
  description = "Where params/<env>.yaml must be uploaded for the jobs."
  value       = module.pipeline.glue_params_uri
}

output "lambda_function_names" {
  description = "Lambda function name by handler."
  value       = module.pipeline.lambda_function_names
}

output "lambda_function_arns" {
  description = "Lambda function ARN by handler."
  value       = module.pipeline.lambda_function_arns
}

output "dead_letters_queue_url" {
  description = "The ingestion dead-letter queue (one message per quarantined file)."
  value       = module.pipeline.dead_letters_queue_url
}

output "dead_letter_queue_names" {
  description = "Every dead-letter queue with a depth alarm."
  value       = module.pipeline.dead_letter_queue_names
}

output "files_queue_url" {
  description = "Queue of the raw bucket's Object Created events, consumed by s3_trigger."
  value       = module.pipeline.files_queue_url
}

output "schedule_expression" {
  description = "The daily run's schedule (schedule.daily_cron of params/<env>.yaml)."
  value       = module.pipeline.schedule_expression
}

output "ledger_table_name" {
  description = "DynamoDB ingestion ledger."
  value       = module.pipeline.ledger_table_name
}

output "lock_table_name" {
  description = "DynamoDB run lock."
  value       = module.pipeline.lock_table_name
}

output "alarm_arns" {
  description = "CloudWatch alarm ARN by name."
  value       = module.pipeline.alarm_arns
}

output "cloudwatch_dashboard_name" {
  description = "The CloudWatch dashboard of the pipeline's metrics."
  value       = module.pipeline.cloudwatch_dashboard_name
}
