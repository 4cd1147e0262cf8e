# The pipeline in one environment: terraform/modules/pipeline wires every module together;
# this root only picks the values (terraform.tfvars) and keeps the state (backend.tf).
# staging and prod link this file and the other root files here (symlinks): only their
# terraform.tfvars and backend.tf (the state key) are their own.

module "pipeline" {
  source = "../../modules/pipeline"

  project     = var.project
  environment = var.environment

  package_version   = var.package_version
  package_s3_key    = var.package_s3_key
  package_sha256    = var.package_sha256
  artifacts_prefix  = var.artifacts_prefix
  lambda_layer_arns = var.lambda_layer_arns

  lambda_functions               = var.lambda_functions
  glue_jobs                      = var.glue_jobs
  glue_timeout_minutes           = var.glue_timeout_minutes
  glue_additional_python_modules = var.glue_additional_python_modules

  force_destroy                      = var.force_destroy
  deletion_protection                = var.deletion_protection
  point_in_time_recovery             = var.point_in_time_recovery
  kms_key_deletion_window_days       = var.kms_key_deletion_window_days
  raw_transition_to_ia_days          = var.raw_transition_to_ia_days
  raw_transition_to_glacier_ir_days  = var.raw_transition_to_glacier_ir_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  staging_expiration_days            = var.staging_expiration_days
  query_results_expiration_days      = var.query_results_expiration_days
  access_log_retention_days          = var.access_log_retention_days
  log_retention_days                 = var.log_retention_days

  alarm_email_subscriptions        = var.alarm_email_subscriptions
  freshness_threshold_hours        = var.freshness_threshold_hours
  alarm_period_seconds             = var.alarm_period_seconds
  failed_executions_threshold      = var.failed_executions_threshold
  lambda_errors_threshold          = var.lambda_errors_threshold
  dead_letter_queue_threshold      = var.dead_letter_queue_threshold
  athena_processed_bytes_threshold = var.athena_processed_bytes_threshold

  cloudfront_price_class     = var.cloudfront_price_class
  api_throttling_burst_limit = var.api_throttling_burst_limit
  api_throttling_rate_limit  = var.api_throttling_rate_limit

  tags = var.tags
}
