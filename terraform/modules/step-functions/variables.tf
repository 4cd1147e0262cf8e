variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): the state machine is <name_prefix>-pipeline."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "lambda_function_arns" {
  description = "ARNs of the Lambda functions the definition invokes, by role: file_validator, data_quality_check, publish_curated, refresh_athena_tables, run_summary."
  type        = map(string)

  validation {
    condition = (
      length(setsubtract(["file_validator", "data_quality_check", "publish_curated", "refresh_athena_tables", "run_summary"], keys(var.lambda_function_arns))) == 0 &&
      length(setsubtract(keys(var.lambda_function_arns), ["file_validator", "data_quality_check", "publish_curated", "refresh_athena_tables", "run_summary"])) == 0
    )
    error_message = "lambda_function_arns must have exactly the keys file_validator, data_quality_check, publish_curated, refresh_athena_tables and run_summary."
  }

  validation {
    condition     = alltrue([for arn in values(var.lambda_function_arns) : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", arn))])
    error_message = "Every value of lambda_function_arns must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])."
  }
}

variable "glue_job_names" {
  description = "Names of the Glue jobs the definition runs (glue:startJobRun.sync), by role: transaction_etl, product_enrichment, clickstream_aggregation, reviews_etl, master_data_merge, data_quality."
  type        = map(string)

  validation {
    condition = (
      length(setsubtract(["transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl", "master_data_merge", "data_quality"], keys(var.glue_job_names))) == 0 &&
      length(setsubtract(keys(var.glue_job_names), ["transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl", "master_data_merge", "data_quality"])) == 0
    )
    error_message = "glue_job_names must have exactly the keys transaction_etl, product_enrichment, clickstream_aggregation, reviews_etl, master_data_merge and data_quality."
  }

  validation {
    condition     = alltrue([for name in values(var.glue_job_names) : can(regex("^[A-Za-z0-9_.-]{1,255}$", name))])
    error_message = "Glue job names are names, not ARNs: 1-255 letters, digits, '_', '.' or '-'."
  }
}

variable "notification_topic_arn" {
  description = "ARN of the SNS topic that receives the success and failure notifications."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN."
  }
}

variable "notification_topic_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the SNS topic, if it is encrypted with a customer managed key: the role then gets kms:GenerateDataKey and kms:Decrypt on that key only. null for an unencrypted topic or the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.notification_topic_kms_key_arn))
    error_message = "notification_topic_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the state machine's CloudWatch log group. Its key policy must allow the logs.<region>.amazonaws.com service principal (see README)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "log_retention_days" {
  description = "Days to keep the state machine's execution logs (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
