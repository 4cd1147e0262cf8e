variable "name_prefix" {
  description = "First part of every name this module creates, the project (e.g. \"ecom-pipeline\"): buckets <name_prefix>-<zone>-<environment>, <name_prefix>-access-logs-<environment>, KMS alias alias/<name_prefix>-data-lake-<environment>. S3 bucket names are global across all AWS accounts: add an organisation or account part if the plain project name is taken."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-32 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name, the last part of every bucket name (e.g. \"dev\", \"staging\", \"prod\"), as in params/<env>.yaml."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$", var.environment))
    error_message = "environment must be 1-16 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects (and all their versions). Keep false outside throw-away environments."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted KMS key waits before it is really deleted (and with it every object it encrypts becomes unreadable): 7 to 30."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be a whole number of days from 7 to 30."
  }
}

variable "raw_transition_to_ia_days" {
  description = "Days after which raw objects move to S3 Standard-Infrequent Access. Raw files are read by the run that lands them, then only by full refreshes."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_transition_to_ia_days >= 30 && floor(var.raw_transition_to_ia_days) == var.raw_transition_to_ia_days
    error_message = "raw_transition_to_ia_days must be a whole number of at least 30 (the STANDARD_IA minimum)."
  }
}

variable "raw_transition_to_glacier_ir_days" {
  description = "Days after which raw objects move to S3 Glacier Instant Retrieval (still readable in milliseconds by a full refresh). At least raw_transition_to_ia_days + 30; null keeps them in Standard-IA."
  type        = number
  default     = 90

  validation {
    condition     = var.raw_transition_to_glacier_ir_days == null || try(var.raw_transition_to_glacier_ir_days >= 60 && floor(var.raw_transition_to_glacier_ir_days) == var.raw_transition_to_glacier_ir_days, false)
    error_message = "raw_transition_to_glacier_ir_days must be null or a whole number of at least 60."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a version is kept after a newer version replaced it or it was deleted (in every zone bucket): the window to recover an overwritten or deleted object."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "staging_expiration_days" {
  description = "Days after which objects under staging/ in the processed and curated buckets expire: a run's data waiting for its audit, left behind only by a failed run."
  type        = number
  default     = 7

  validation {
    condition     = var.staging_expiration_days >= 1 && floor(var.staging_expiration_days) == var.staging_expiration_days
    error_message = "staging_expiration_days must be a whole number of at least 1."
  }
}

variable "query_results_expiration_days" {
  description = "Days after which Athena query result files expire in the query-results bucket."
  type        = number
  default     = 7

  validation {
    condition     = var.query_results_expiration_days >= 1 && floor(var.query_results_expiration_days) == var.query_results_expiration_days
    error_message = "query_results_expiration_days must be a whole number of at least 1."
  }
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which the parts of a multipart upload that never completed are deleted (every bucket)."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1 && floor(var.abort_incomplete_multipart_days) == var.abort_incomplete_multipart_days
    error_message = "abort_incomplete_multipart_days must be a whole number of at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days the S3 server access logs are kept in the access-log bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags). Each bucket also gets a zone tag."
  type        = map(string)
  default     = {}
}
