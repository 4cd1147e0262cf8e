variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): rules <name_prefix>-raw-object-created and <name_prefix>-daily, queues <name_prefix>-raw-files[-dlq] and <name_prefix>-eventbridge-dlq."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "raw_bucket_name" {
  description = "Name of the raw bucket whose \"Object Created\" events start runs. The bucket must send its events to EventBridge (aws_s3_bucket_notification with eventbridge = true)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'), not an ARN."
  }
}

variable "raw_key_prefix" {
  description = "Only objects whose key starts with this prefix are matched, e.g. \"transactions/\" for one dataset. Keys are relative to the raw bucket (the raw zone), as s3_trigger expects; null matches every object."
  type        = string
  default     = null

  validation {
    condition     = var.raw_key_prefix == null || can(regex("^[^/].*$", var.raw_key_prefix))
    error_message = "raw_key_prefix must be null or a non-empty key prefix that does not start with '/'."
  }
}

variable "s3_trigger_function_arn" {
  description = "ARN of the s3_trigger Lambda function (pipeline_lib.handlers.s3_trigger), which consumes the file queue in batches."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", var.s3_trigger_function_arn))
    error_message = "s3_trigger_function_arn must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])."
  }
}

variable "schedule_trigger_function_arn" {
  description = "ARN of the schedule_trigger Lambda function (pipeline_lib.handlers.schedule_trigger), the target of the daily rule. Its name and qualifier for the invoke permission are taken from the ARN."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", var.schedule_trigger_function_arn))
    error_message = "schedule_trigger_function_arn must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])."
  }
}

variable "params_files" {
  description = "Paths of the environment's params files in merge order: params/base.yaml, then params/<env>.yaml at the repo root (e.g. [\"$${path.root}/../../../params/base.yaml\", \"$${path.root}/../../../params/dev.yaml\"]); a later file's keys replace an earlier one's, as in pipeline_lib.config. schedule.daily_cron is the daily rule's schedule and watch.debounce_seconds the queue's batching window: the values `ecom-pipeline watch` uses locally."
  type        = list(string)

  validation {
    condition     = length(var.params_files) > 0 && alltrue([for f in var.params_files : fileexists(f)])
    error_message = "params_files must list existing params files: params/base.yaml, then params/<env>.yaml."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the three queues. Its key policy must let events.amazonaws.com use it (kms:GenerateDataKey, kms:Decrypt; see README). null: SQS-managed SSE (SSE-SQS)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the s3_trigger Lambda function. The file queue's visibility timeout is 6 times this plus the batching window, as AWS advises for Lambda consumers."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900 && floor(var.lambda_timeout_seconds) == var.lambda_timeout_seconds
    error_message = "lambda_timeout_seconds must be a whole number of seconds from 1 to 900 (the Lambda maximum)."
  }
}

variable "s3_trigger_max_concurrency" {
  description = "Most concurrent s3_trigger invocations the event source mapping starts (scaling_config). Few invocations keep a burst of files in few batches, hence few runs; 2 is the lowest value Lambda accepts."
  type        = number
  default     = 2

  validation {
    condition     = var.s3_trigger_max_concurrency >= 2 && var.s3_trigger_max_concurrency <= 1000 && floor(var.s3_trigger_max_concurrency) == var.s3_trigger_max_concurrency
    error_message = "s3_trigger_max_concurrency must be a whole number from 2 to 1000."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
