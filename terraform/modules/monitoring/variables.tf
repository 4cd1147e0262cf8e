variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-dev\"): topics <name_prefix>-pipeline-status and <name_prefix>-data-quality, alarms <name_prefix>-..., dashboard <name_prefix>-pipeline, KMS alias alias/<name_prefix>-notifications."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "email_subscriptions" {
  description = "E-mail addresses subscribed to both topics (each address confirms its subscription from the e-mail AWS sends). Empty: no subscription; subscribe chat or paging tools to the topic outputs instead."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "Every entry of email_subscriptions must be an e-mail address (name@domain.tld)."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted topics KMS key waits before it is really deleted: 7 to 30."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be a whole number of days from 7 to 30."
  }
}

variable "state_machine_arn" {
  description = "ARN of the pipeline state machine (step-functions output state_machine_arn): alarms on its ExecutionsFailed and ExecutionsTimedOut."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$", var.state_machine_arn))
    error_message = "state_machine_arn must be a Step Functions state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>)."
  }
}

variable "lambda_function_names" {
  description = "Names (not ARNs) of the Lambda functions whose Errors get an alarm each."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.lambda_function_names : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "Every entry of lambda_function_names must be a Lambda function name (1-64 letters, digits, '-' or '_'), not an ARN."
  }

  validation {
    condition     = length(distinct(var.lambda_function_names)) == length(var.lambda_function_names)
    error_message = "lambda_function_names must not repeat a name."
  }
}

variable "dead_letter_queue_names" {
  description = "Names (not URLs or ARNs) of the SQS dead-letter queues whose depth (ApproximateNumberOfMessagesVisible) gets an alarm each: e.g. the eventbridge module's <prefix>-raw-files-dlq and <prefix>-eventbridge-dlq, the Lambda DLQs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.dead_letter_queue_names : can(regex("^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\\.fifo)$", name))])
    error_message = "Every entry of dead_letter_queue_names must be an SQS queue name (1-80 letters, digits, '-' or '_', optionally ending in .fifo), not a URL or ARN."
  }

  validation {
    condition     = length(distinct(var.dead_letter_queue_names)) == length(var.dead_letter_queue_names)
    error_message = "dead_letter_queue_names must not repeat a name."
  }
}

variable "athena_workgroup_name" {
  description = "Name of the Athena workgroup (athena output workgroup_name) whose bytes scanned (ProcessedBytes) get an alarm. Its CloudWatch metrics must be on (the athena module turns them on)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.athena_workgroup_name))
    error_message = "athena_workgroup_name must be 1-128 letters, digits, '.', '_' or '-'."
  }
}

variable "freshness_threshold_hours" {
  description = "Alarm when no execution of the state machine succeeded (AWS/States ExecutionsSucceeded) for this many hours: the daily run, its usual duration and some slack. A whole number of hours from 1 to 168 (CloudWatch evaluates at most 7 days)."
  type        = number
  default     = 26

  validation {
    condition     = var.freshness_threshold_hours >= 1 && var.freshness_threshold_hours <= 168 && floor(var.freshness_threshold_hours) == var.freshness_threshold_hours
    error_message = "freshness_threshold_hours must be a whole number of hours from 1 to 168 (7 days, the longest an alarm can evaluate)."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the execution, Lambda and dead-letter queue alarms (and of their dashboard graphs)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 86400 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 from 60 to 86400."
  }
}

variable "failed_executions_threshold" {
  description = "Alarm when at least this many executions failed (and, separately, timed out) within one period."
  type        = number
  default     = 1

  validation {
    condition     = var.failed_executions_threshold >= 1 && floor(var.failed_executions_threshold) == var.failed_executions_threshold
    error_message = "failed_executions_threshold must be a whole number of at least 1."
  }
}

variable "lambda_errors_threshold" {
  description = "Alarm when a function has at least this many errors within one period."
  type        = number
  default     = 1

  validation {
    condition     = var.lambda_errors_threshold >= 1 && floor(var.lambda_errors_threshold) == var.lambda_errors_threshold
    error_message = "lambda_errors_threshold must be a whole number of at least 1."
  }
}

variable "dead_letter_queue_threshold" {
  description = "Alarm when a dead-letter queue holds at least this many visible messages."
  type        = number
  default     = 1

  validation {
    condition     = var.dead_letter_queue_threshold >= 1 && floor(var.dead_letter_queue_threshold) == var.dead_letter_queue_threshold
    error_message = "dead_letter_queue_threshold must be a whole number of at least 1."
  }
}

variable "athena_processed_bytes_threshold" {
  description = "Alarm when the workgroup's DML queries scanned more than this many bytes within athena_period_seconds (Athena bills $5 per TB scanned)."
  type        = number
  default     = 21474836480 # 20 GiB, about $0.10

  validation {
    condition     = var.athena_processed_bytes_threshold >= 1048576 && floor(var.athena_processed_bytes_threshold) == var.athena_processed_bytes_threshold
    error_message = "athena_processed_bytes_threshold must be a whole number of bytes, at least 1048576 (1 MiB)."
  }
}

variable "athena_period_seconds" {
  description = "Period over which the Athena alarm sums bytes scanned. Metrics Insights, which the alarm queries, keeps 3 hours of data: at most 10800."
  type        = number
  default     = 3600

  validation {
    condition     = var.athena_period_seconds >= 60 && var.athena_period_seconds <= 10800 && var.athena_period_seconds % 60 == 0
    error_message = "athena_period_seconds must be a multiple of 60 from 60 to 10800."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
