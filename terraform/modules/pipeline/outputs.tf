# --- what the deploy workflow reads (deploy-environment.yml) -------------------------------------

output "artifacts_bucket" {
  description = "Bucket of the release artifacts: dist/ is uploaded under releases/<commit>/."
  value       = module.data_lake.artifacts_bucket_name
}

output "raw_bucket" {
  description = "Raw zone bucket: files landed under <dataset>/ingest_date=YYYY-MM-DD/ start runs."
  value       = module.data_lake.raw_bucket_name

  # The deployed handlers and jobs find the lake from `lake` of params/<env>.yaml,
  # s3://<project>-{zone}-<env> (pipeline_lib.storage.S3Lake): every zone must be a bucket here.
  precondition {
    condition = alltrue([
      for zone in ["raw", "processed", "curated", "quarantine"] :
      replace(try(local.params.lake, ""), "{zone}", zone) == "s3://${module.data_lake.bucket_names[zone]}"
    ])
    error_message = "params/${var.environment}.yaml has lake: ${try(local.params.lake, "(none)")}, but the lake's buckets are ${jsonencode(module.data_lake.bucket_names)}: change `project` or the params file so that s3://<project>-{zone}-<env> names them."
  }
  precondition {
    condition     = try(local.params.env, null) == var.environment
    error_message = "params/${var.environment}.yaml says env: ${try(local.params.env, "(none)")}, not ${var.environment}."
  }
}

output "state_machine_arn" {
  description = "The pipeline's state machine (start executions with it; always pass a name)."
  value       = module.step_functions.state_machine_arn
}

output "dashboard_bucket" {
  description = "Private bucket of the dashboard's files (upload dashboard/ with config.js's apiBase = api_endpoint)."
  value       = module.dashboard.bucket_name
}

output "distribution_id" {
  description = "CloudFront distribution of the dashboard (invalidate /* after an upload)."
  value       = module.dashboard.distribution_id
}

output "dashboard_url" {
  description = "Where users open the dashboard."
  value       = module.dashboard.dashboard_url
}

output "api_endpoint" {
  description = "Base URL of the analytics API (config.js `apiBase`)."
  value       = module.dashboard.api_endpoint
}

output "status_topic_arn" {
  description = "SNS topic of run notifications and every alarm."
  value       = module.monitoring.status_topic_arn
}

output "quality_topic_arn" {
  description = "SNS topic of data quality results and the freshness alarm."
  value       = module.monitoring.data_quality_topic_arn
}

# --- what users and tools need besides -------------------------------------------------------------

output "bucket_names" {
  description = "Lake bucket by zone: raw, processed, curated, quarantine, reports, query_results, artifacts."
  value       = module.data_lake.bucket_names
}

output "access_log_bucket" {
  description = "Bucket of the lake buckets' S3 server access logs."
  value       = module.data_lake.access_log_bucket_name
}

output "kms_key_arn" {
  description = "The lake's customer managed key (buckets, queues, log groups, tables)."
  value       = module.data_lake.kms_key_arn
}

output "topics_kms_key_arn" {
  description = "The key of the two SNS topics (publishers need kms:GenerateDataKey on it)."
  value       = module.monitoring.topics_kms_key_arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = module.step_functions.state_machine_name
}

output "athena_workgroup" {
  description = "Athena workgroup of every query (query.workgroup of params/<env>.yaml)."
  value       = module.athena.workgroup_name
}

output "athena_output_location" {
  description = "Where the workgroup writes query results."
  value       = module.athena.output_location
}

output "athena_bytes_scanned_cutoff" {
  description = "Bytes one query may scan (query.bytes_scanned_cutoff of params/<env>.yaml), enforced."
  value       = module.athena.bytes_scanned_cutoff_per_query
}

output "named_query_ids" {
  description = "Athena named query ID by sql/ file name."
  value       = module.athena.named_query_ids
}

output "glue_database_names" {
  description = "Glue Data Catalog database by zone."
  value       = module.glue.database_names
}

output "glue_job_names" {
  description = "Glue job by notebook."
  value       = module.glue.job_names
}

output "glue_runner_script_uri" {
  description = "Where the release's glue_runner.py must be (every job's script)."
  value       = module.glue.runner_script_uri
}

output "glue_wheel_uri" {
  description = "Where the release's wheel must be."
  value       = module.glue.wheel_uri
}

output "glue_params_uri" {
  description = "Where params/<env>.yaml must be uploaded for the jobs."
  value       = module.glue.params_uri
}

output "lambda_function_names" {
  description = "Lambda function name by handler."
  value       = module.lambdas.function_names
}

output "lambda_function_arns" {
  description = "Lambda function ARN by handler."
  value       = module.lambdas.function_arns
}

output "dead_letters_queue_url" {
  description = "The ingestion dead-letter queue (one message per quarantined file)."
  value       = module.lambdas.dead_letters_queue_url
}

output "dead_letter_queue_names" {
  description = "Every dead-letter queue with a depth alarm."
  value = concat(
    values(module.lambdas.dlq_names),
    [module.lambdas.dead_letters_queue_name, module.eventbridge.files_dlq_name, module.eventbridge.eventbridge_dlq_name],
  )
}

output "files_queue_url" {
  description = "Queue of the raw bucket's Object Created events, consumed by s3_trigger."
  value       = module.eventbridge.files_queue_url
}

output "schedule_expression" {
  description = "The daily run's schedule (schedule.daily_cron of params/<env>.yaml)."
  value       = module.eventbridge.schedule_expression
}

output "ledger_table_name" {
  description = "DynamoDB ingestion ledger."
  value       = module.ledger.ledger_table_name
}

output "lock_table_name" {
  description = "DynamoDB run lock."
  value       = module.ledger.lock_table_name
}

output "alarm_arns" {
  description = "CloudWatch alarm ARN by name."
  value       = module.monitoring.alarm_arns
}

output "cloudwatch_dashboard_name" {
  description = "The CloudWatch dashboard of the pipeline's metrics."
  value       = module.monitoring.dashboard_name
}
