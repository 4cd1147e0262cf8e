# --- which deployment ---------------------------------------------------------------------------

variable "project" {
  description = "Project part of every name: buckets <project>-<zone>-<environment> (the names params/<environment>.yaml uses in `lake`), everything else <project>-<environment>-... S3 bucket names are global: change it here and in params/<env>.yaml together."
  type        = string
  default     = "ecom-pipeline"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,22}[a-z0-9]$", var.project))
    error_message = "project must be 2-24 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen (with the environment it prefixes names of at most 40 characters)."
  }
}

variable "environment" {
  description = "dev, staging or prod: params/base.yaml with params/<environment>.yaml over it is read for the bucket names, the Athena workgroup and cutoff, and the schedule."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod (a params/<environment>.yaml of the repository)."
  }
}

# --- the release (deploy-pipeline passes these from dist/manifest.json) --------------------------

variable "package_version" {
  description = "Version of the ecom-pipeline wheel the Glue jobs install (dist/manifest.json `version`)."
  type        = string
}

variable "package_s3_key" {
  description = "Key of the Lambda package in the artifacts bucket, e.g. releases/<commit>/lambda/ecom-pipeline-lambda.zip."
  type        = string
}

variable "package_sha256" {
  description = "Base64 SHA-256 of the Lambda package (dist/manifest.json `sha256_base64`): a new package, and only a new package, updates the functions."
  type        = string
}

variable "artifacts_prefix" {
  description = "Key prefix of the Glue artifacts of the release in the artifacts bucket, e.g. releases/<commit>/glue (glue_runner.py, the wheel, params/<env>.yaml)."
  type        = string
}

variable "lambda_layer_arns" {
  description = "Layer version ARNs of every function: the AWS SDK for pandas managed layer AWSSDKPandas-Python312 (x86_64) of the region, for the awswrangler version of requirements/. [] only against a test server."
  type        = list(string)
}

# --- sizes --------------------------------------------------------------------------------------

variable "lambda_functions" {
  description = "Per-handler overrides of lambda-processors (memory_mb, timeout_seconds, ephemeral_storage_mb, reserved_concurrency); unset fields keep the module's defaults."
  type = map(object({
    memory_mb            = optional(number)
    timeout_seconds      = optional(number)
    ephemeral_storage_mb = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}
}

variable "glue_jobs" {
  description = "Per-notebook overrides of glue-etl (max_capacity 0.0625 or 1, timeout_minutes, max_retries)."
  type = map(object({
    max_capacity    = optional(number)
    timeout_minutes = optional(number)
    max_retries     = optional(number)
  }))
  default = {}
}

variable "glue_timeout_minutes" {
  description = "Timeout of every Glue job without an override, in minutes."
  type        = number
  default     = 60
}

variable "glue_additional_python_modules" {
  description = "Pip requirements installed with the wheel in every Glue job. null: the Glue lock, requirements/glue.txt (what make test-glue tests under Python 3.9); a list replaces it."
  type        = list(string)
  default     = null
}

# --- retention and protection --------------------------------------------------------------------

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets (lake and dashboard) and the Athena workgroup with its history. Throwaway environments only."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection of the ledger and run-lock tables."
  type        = bool
  default     = true
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery (35 days) of the ledger and run-lock tables."
  type        = bool
  default     = true
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted KMS key (lake key, topics key) waits before it is gone: 7-30."
  type        = number
  default     = 30
}

variable "raw_transition_to_ia_days" {
  description = "Days before raw objects move to STANDARD_IA (>= 30)."
  type        = number
  default     = 30
}

variable "raw_transition_to_glacier_ir_days" {
  description = "Days before raw objects move to GLACIER_IR (>= IA + 30); null: never."
  type        = number
  default     = 90
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object version is kept in the lake buckets."
  type        = number
  default     = 30
}

variable "staging_expiration_days" {
  description = "Days before staging/ objects of processed and curated expire."
  type        = number
  default     = 7
}

variable "query_results_expiration_days" {
  description = "Days before Athena result files expire."
  type        = number
  default     = 7
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 90
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (Lambda, Step Functions, API access logs): a CloudWatch Logs value."
  type        = number
  default     = 365
}

# --- alarms ----------------------------------------------------------------------------------------

variable "alarm_email_subscriptions" {
  description = "E-mail addresses subscribed to the status and data-quality topics (each confirms by mail first)."
  type        = list(string)
  default     = []
}

variable "freshness_threshold_hours" {
  description = "The data freshness alarm fires when no execution of the state machine succeeded for this many hours (whole hours, 1-168)."
  type        = number
  default     = 26
}

variable "alarm_period_seconds" {
  description = "Period of the execution, Lambda error and dead-letter queue alarms."
  type        = number
  default     = 300
}

variable "failed_executions_threshold" {
  description = "Failed or timed-out executions per period that alarm."
  type        = number
  default     = 1
}

variable "lambda_errors_threshold" {
  description = "Errors of one function per period that alarm."
  type        = number
  default     = 1
}

variable "dead_letter_queue_threshold" {
  description = "Visible messages in a dead-letter queue that alarm."
  type        = number
  default     = 1
}

variable "athena_processed_bytes_threshold" {
  description = "Bytes scanned by the workgroup per hour that alarm (the per-query cutoff is query.bytes_scanned_cutoff of params/<env>.yaml)."
  type        = number
  default     = 21474836480
}

# --- the dashboard ----------------------------------------------------------------------------------

variable "cloudfront_price_class" {
  description = "CloudFront price class of the dashboard distribution."
  type        = string
  default     = "PriceClass_100"
}

variable "api_throttling_burst_limit" {
  description = "Burst limit of the analytics API's stage."
  type        = number
  default     = 50
}

variable "api_throttling_rate_limit" {
  description = "Steady request rate (per second) of the analytics API's stage."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
