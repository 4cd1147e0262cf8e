# The same file in dev, staging and prod; each environment's values are in terraform.tfvars.
# The values the local target shares with AWS are not variables: bucket names, the Athena
# workgroup and its per-query cutoff, and the daily schedule come from params/<env>.yaml.

# --- where and which ---------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region of the whole environment (CloudFront is global)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as eu-west-1."
  }
}

variable "project" {
  description = "Project part of every name; buckets are <project>-<zone>-<environment>, as `lake` in params/<environment>.yaml (the plan fails when they disagree)."
  type        = string
  default     = "ecom-pipeline"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,22}[a-z0-9]$", var.project))
    error_message = "project must be 2-24 lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "environment" {
  description = "dev, staging or prod: the folder's name, and params/<environment>.yaml."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

# --- the release: deploy-pipeline sets these as TF_VAR_* from dist/manifest.json -------------------

variable "package_version" {
  description = "Version of the ecom-pipeline wheel (dist/manifest.json `version`)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)*([a-z0-9.+_]*)$", var.package_version))
    error_message = "package_version must be a wheel version such as 0.1.0."
  }
}

variable "package_s3_key" {
  description = "Key of the Lambda package in the artifacts bucket, e.g. releases/<commit>/lambda/ecom-pipeline-lambda.zip."
  type        = string

  validation {
    condition     = can(regex("^[^/].*\\.zip$", var.package_s3_key))
    error_message = "package_s3_key must be an S3 key (no leading /) of a .zip file."
  }
}

variable "package_sha256" {
  description = "Base64 SHA-256 of the Lambda package (dist/manifest.json `sha256_base64`)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.package_sha256))
    error_message = "package_sha256 must be a base64-encoded SHA-256 digest (44 characters ending in '=')."
  }
}

variable "artifacts_prefix" {
  description = "Key prefix of the release's Glue artifacts in the artifacts bucket, e.g. releases/<commit>/glue."
  type        = string

  validation {
    condition     = length(trim(var.artifacts_prefix, "/")) > 0 && !strcontains(var.artifacts_prefix, "..")
    error_message = "artifacts_prefix must be a non-empty key prefix without '..'."
  }
}

variable "lambda_layer_arns" {
  description = "The AWS SDK for pandas managed layer for the region: arn:aws:lambda:<region>:336392948345:layer:AWSSDKPandas-Python312:<version>, the version for the awswrangler of requirements/ (aws-sdk-pandas.readthedocs.io/en/stable/layers.html). [] only against a test server."
  type        = list(string)

  validation {
    condition     = alltrue([for arn in var.lambda_layer_arns : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", arn))])
    error_message = "Every layer must be a layer version ARN, with its version number."
  }
}

# --- sizes -------------------------------------------------------------------------------------------

variable "lambda_functions" {
  description = "Per-handler overrides: memory_mb, timeout_seconds, ephemeral_storage_mb, reserved_concurrency (-1: none). See terraform/modules/lambda-processors for the defaults."
  type = map(object({
    memory_mb            = optional(number)
    timeout_seconds      = optional(number)
    ephemeral_storage_mb = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}
}

variable "glue_jobs" {
  description = "Per-notebook Glue overrides: max_capacity (0.0625 or 1), timeout_minutes, max_retries."
  type = map(object({
    max_capacity    = optional(number)
    timeout_minutes = optional(number)
    max_retries     = optional(number)
  }))
  default = {}
}

variable "glue_timeout_minutes" {
  description = "Timeout of every Glue job without an override (minutes)."
  type        = number
  default     = 60

  validation {
    condition     = var.glue_timeout_minutes >= 1 && var.glue_timeout_minutes <= 2880 && floor(var.glue_timeout_minutes) == var.glue_timeout_minutes
    error_message = "glue_timeout_minutes must be a whole number from 1 to 2880."
  }
}

variable "glue_additional_python_modules" {
  description = "Pip requirements installed with the wheel. null: the Glue lock, requirements/glue.txt."
  type        = list(string)
  default     = null
}

# --- retention and protection --------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets and the Athena workgroup's history: true only where the data can go (dev)."
  type        = bool
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection of the ledger and run lock (false only where destroy must work)."
  type        = bool
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery of the ledger and run lock."
  type        = bool
  default     = true
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted KMS key waits before it is gone (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be from 7 to 30."
  }
}

variable "raw_transition_to_ia_days" {
  description = "Days before raw files move to STANDARD_IA (>= 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_transition_to_ia_days >= 30
    error_message = "raw_transition_to_ia_days must be at least 30."
  }
}

variable "raw_transition_to_glacier_ir_days" {
  description = "Days before raw files move to GLACIER_IR (>= IA + 30); null: never."
  type        = number
  default     = 90
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object version is kept (the window to recover it)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "staging_expiration_days" {
  description = "Days before a failed run's staging/ leftovers expire."
  type        = number
  default     = 7

  validation {
    condition     = var.staging_expiration_days >= 1
    error_message = "staging_expiration_days must be at least 1."
  }
}

variable "query_results_expiration_days" {
  description = "Days before Athena result files expire."
  type        = number
  default     = 7

  validation {
    condition     = var.query_results_expiration_days >= 1
    error_message = "query_results_expiration_days must be at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1
    error_message = "access_log_retention_days must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group (Lambda, Step Functions, API access logs)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

# --- alarms -----------------------------------------------------------------------------------------------

variable "alarm_email_subscriptions" {
  description = "E-mail addresses subscribed to the status and data-quality topics."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alarm_email_subscriptions must be e-mail addresses."
  }
}

variable "freshness_threshold_hours" {
  description = "No successful run of the state machine for this many hours alarms (stale curated data)."
  type        = number

  validation {
    condition     = var.freshness_threshold_hours >= 1 && var.freshness_threshold_hours <= 168 && floor(var.freshness_threshold_hours) == var.freshness_threshold_hours
    error_message = "freshness_threshold_hours must be a whole number of hours from 1 to 168 (7 days, the longest a CloudWatch alarm evaluates)."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the execution, Lambda error and dead-letter queue alarms (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 86400 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 from 60 to 86400."
  }
}

variable "failed_executions_threshold" {
  description = "Failed or timed-out executions per period that alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.failed_executions_threshold >= 1 && floor(var.failed_executions_threshold) == var.failed_executions_threshold
    error_message = "failed_executions_threshold must be a whole number of at least 1."
  }
}

variable "lambda_errors_threshold" {
  description = "Errors of one function per period that alarm."
  type        = number

  validation {
    condition     = var.lambda_errors_threshold >= 1 && floor(var.lambda_errors_threshold) == var.lambda_errors_threshold
    error_message = "lambda_errors_threshold must be a whole number of at least 1."
  }
}

variable "dead_letter_queue_threshold" {
  description = "Visible messages in any dead-letter queue that alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.dead_letter_queue_threshold >= 1 && floor(var.dead_letter_queue_threshold) == var.dead_letter_queue_threshold
    error_message = "dead_letter_queue_threshold must be a whole number of at least 1."
  }
}

variable "athena_processed_bytes_threshold" {
  description = "Bytes scanned by the workgroup per hour that alarm. The per-query cutoff is query.bytes_scanned_cutoff of params/<env>.yaml."
  type        = number

  validation {
    condition     = var.athena_processed_bytes_threshold >= 1048576 && floor(var.athena_processed_bytes_threshold) == var.athena_processed_bytes_threshold
    error_message = "athena_processed_bytes_threshold must be a whole number of bytes, at least 1 MiB."
  }
}

# --- the dashboard ----------------------------------------------------------------------------------------

variable "cloudfront_price_class" {
  description = "CloudFront price class of the dashboard."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst limit of the analytics API."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number of at least 1."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady request rate of the analytics API (requests per second)."
  type        = number
  default     = 10

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be above 0."
  }
}

variable "tags" {
  description = "Extra tags on every resource (the provider adds project, environment and managed-by)."
  type        = map(string)
  default     = {}
}
