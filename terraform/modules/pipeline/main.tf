# One whole deployment of the pipeline: every module of terraform/modules wired together.
# The environment roots (terraform/environments/{dev,staging,prod}) call this module with
# their terraform.tfvars, so the three environments cannot differ in shape, only in values.
#
# Values that the local target shares with AWS are read from the params files
# (params/base.yaml with params/<environment>.yaml over it, as pipeline_lib.config merges
# them), never repeated here: the bucket names (the `lake` of the params file), the Athena
# workgroup and its bytes-scanned cutoff (`query:`), the daily schedule and the batching
# window (`schedule:`, `watch:`, read by the eventbridge module itself).

locals {
  repo_root        = "${path.module}/../../.."
  params_files     = ["${local.repo_root}/params/base.yaml", "${local.repo_root}/params/${var.environment}.yaml"]
  params_documents = [for f in local.params_files : yamldecode(file(f))]
  # Later files win, section by section for query: (env and lake are the environment's).
  params  = merge(concat(local.params_documents, [{ query = merge([for doc in local.params_documents : try(doc.query, {})]...) }])...)
  sql_dir = "${local.repo_root}/sql"

  # <project>-<env>: the prefix of every name but the lake's buckets, which follow the
  # <project>-<zone>-<env> pattern of params/<env>.yaml (s3-data-lake builds them).
  name_prefix = "${var.project}-${var.environment}"

  # step-functions names its state machine <name_prefix>-pipeline; lambda-processors needs the
  # name before the state machine exists (its ARN would be a dependency cycle).
  state_machine_name = "${local.name_prefix}-pipeline"

  # The keys the state machine definition uses (step-functions refuses any other key).
  state_machine_lambdas = ["file_validator", "data_quality_check", "publish_curated", "refresh_athena_tables", "run_summary"]
  state_machine_jobs    = ["transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl", "master_data_merge", "data_quality"]

  # The named queries are the files the local engine runs: sql/<name>.sql => <name>.
  named_queries = {
    for f in fileset(local.sql_dir, "*.sql") : trimsuffix(f, ".sql") => file("${local.sql_dir}/${f}")
  }
}

# --- data: the lake, its key, the ingestion ledger -------------------------------------------

module "data_lake" {
  source = "../s3-data-lake"

  name_prefix                        = var.project
  environment                        = var.environment
  force_destroy                      = var.force_destroy
  kms_key_deletion_window_days       = var.kms_key_deletion_window_days
  raw_transition_to_ia_days          = var.raw_transition_to_ia_days
  raw_transition_to_glacier_ir_days  = var.raw_transition_to_glacier_ir_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  staging_expiration_days            = var.staging_expiration_days
  query_results_expiration_days      = var.query_results_expiration_days
  access_log_retention_days          = var.access_log_retention_days
  tags                               = var.tags
}

module "ledger" {
  source = "../ledger"

  name_prefix            = local.name_prefix
  kms_key_arn            = module.data_lake.kms_key_arn
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  tags                   = var.tags
}

# --- compute: Glue jobs, Lambda functions ---------------------------------------------------

module "glue" {
  source = "../glue-etl"

  name_prefix               = local.name_prefix
  environment               = var.environment
  artifacts_bucket_name     = module.data_lake.artifacts_bucket_name
  artifacts_prefix          = var.artifacts_prefix
  package_version           = var.package_version
  additional_python_modules = var.glue_additional_python_modules
  default_timeout_minutes   = var.glue_timeout_minutes
  jobs                      = var.glue_jobs
  bucket_names              = module.data_lake.bucket_names
  kms_key_arn               = module.data_lake.kms_key_arn
  ledger_table_arn          = module.ledger.ledger_table_arn
  tags                      = var.tags
}

module "lambdas" {
  source = "../lambda-processors"

  name_prefix       = local.name_prefix
  environment       = var.environment
  package_s3_bucket = module.data_lake.artifacts_bucket_name
  package_s3_key    = var.package_s3_key
  package_sha256    = var.package_sha256
  layer_arns        = var.lambda_layer_arns
  functions         = var.lambda_functions

  kms_key_arn           = module.data_lake.kms_key_arn
  bucket_names          = module.data_lake.bucket_names
  ledger_table_arn      = module.ledger.ledger_table_arn
  lock_table_arn        = module.ledger.lock_table_arn
  state_machine_name    = local.state_machine_name
  glue_database_names   = module.glue.database_names
  athena_workgroup_name = module.athena.workgroup_name
  api_allowed_origin    = module.dashboard.api_allowed_origin
  log_retention_days    = var.log_retention_days
  tags                  = var.tags
}

# --- query: the Athena workgroup and the named queries of sql/ --------------------------------

module "athena" {
  source = "../athena"

  workgroup_name                 = local.params.query.workgroup
  bytes_scanned_cutoff_per_query = local.params.query.bytes_scanned_cutoff
  database_name                  = module.glue.database_names.curated
  query_results_bucket_name      = module.data_lake.query_results_bucket_name
  kms_key_arn                    = module.data_lake.kms_key_arn
  named_queries                  = local.named_queries
  force_destroy                  = var.force_destroy
  tags                           = var.tags
}

# --- orchestration: the state machine and what starts it --------------------------------------

module "step_functions" {
  source = "../step-functions"

  name_prefix                    = local.name_prefix
  lambda_function_arns           = { for k in local.state_machine_lambdas : k => module.lambdas.function_arns[k] }
  glue_job_names                 = { for k in local.state_machine_jobs : k => module.glue.job_names[k] }
  notification_topic_arn         = module.monitoring.status_topic_arn
  notification_topic_kms_key_arn = module.monitoring.topics_kms_key_arn
  kms_key_arn                    = module.data_lake.kms_key_arn
  log_retention_days             = var.log_retention_days
  tags                           = var.tags
}

module "eventbridge" {
  source = "../eventbridge"

  name_prefix                   = local.name_prefix
  raw_bucket_name               = module.data_lake.raw_bucket_name
  s3_trigger_function_arn       = module.lambdas.function_arns["s3_trigger"]
  schedule_trigger_function_arn = module.lambdas.function_arns["schedule_trigger"]
  params_files                  = local.params_files
  kms_key_arn                   = module.data_lake.kms_key_arn
  lambda_timeout_seconds        = module.lambdas.timeouts["s3_trigger"]
  tags                          = var.tags
}

# s3_trigger consumes the file queue (the eventbridge module's policy on the lambda's role).
resource "aws_iam_role_policy" "s3_trigger_queue" {
  name   = "${local.name_prefix}-s3-trigger-raw-files-queue"
  role   = module.lambdas.role_names["s3_trigger"]
  policy = module.eventbridge.s3_trigger_consumer_policy_json
}

# --- monitoring ------------------------------------------------------------------------------

module "monitoring" {
  source = "../monitoring"

  name_prefix                  = local.name_prefix
  email_subscriptions          = var.alarm_email_subscriptions
  kms_key_deletion_window_days = var.kms_key_deletion_window_days
  state_machine_arn            = module.step_functions.state_machine_arn
  lambda_function_names        = values(module.lambdas.function_names)
  dead_letter_queue_names = concat(
    values(module.lambdas.dlq_names),
    [module.lambdas.dead_letters_queue_name],
    [module.eventbridge.files_dlq_name, module.eventbridge.eventbridge_dlq_name],
  )
  athena_workgroup_name = module.athena.workgroup_name

  freshness_threshold_hours        = var.freshness_threshold_hours
  alarm_period_seconds             = var.alarm_period_seconds
  failed_executions_threshold      = var.failed_executions_threshold
  lambda_errors_threshold          = var.lambda_errors_threshold
  dead_letter_queue_threshold      = var.dead_letter_queue_threshold
  athena_processed_bytes_threshold = var.athena_processed_bytes_threshold
  tags                             = var.tags
}

# --- the dashboard and its API ------------------------------------------------------------------

module "dashboard" {
  source = "../dashboard-hosting"

  name_prefix                = local.name_prefix
  api_function_arn           = module.lambdas.function_arns["api_handler"]
  kms_key_arn                = module.data_lake.kms_key_arn
  force_destroy              = var.force_destroy
  price_class                = var.cloudfront_price_class
  api_throttling_burst_limit = var.api_throttling_burst_limit
  api_throttling_rate_limit  = var.api_throttling_rate_limit
  log_retention_days         = var.log_retention_days
  tags                       = var.tags
}

# The state machine's name is fixed by the step-functions module; lambda-processors grants
# states:StartExecution on the name built above. A rename in one place shows here.
check "state_machine_name" {
  assert {
    condition     = module.step_functions.state_machine_name == local.state_machine_name
    error_message = "step-functions names the state machine ${module.step_functions.state_machine_name}, but the triggers may start ${local.state_machine_name} only."
  }
}
