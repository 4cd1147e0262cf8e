variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): functions, roles and log groups <name_prefix>-<handler with - for _> (ecom-prod-s3-trigger), queues <function>-dlq and <name_prefix>-ingestion-dead-letters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "environment" {
  description = "The deployment's environment, passed to every function as PIPELINE_ENV: which params/<env>.yaml of the package the handlers load."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod (the AWS params files; local is the embedded target)."
  }
}

# --- the code -------------------------------------------------------------------------------

variable "package_s3_bucket" {
  description = "Bucket holding the code package (the artifacts bucket): dist/lambda/ecom-pipeline-lambda.zip of `make package`, uploaded there."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.package_s3_bucket))
    error_message = "package_s3_bucket must be an S3 bucket name, not an ARN or URI."
  }
}

variable "package_s3_key" {
  description = "Key of the code package in package_s3_bucket, e.g. \"lambda/0.1.0/ecom-pipeline-lambda.zip\". Every function runs this one package."
  type        = string

  validation {
    condition     = can(regex("^[^/].*\\.zip$", var.package_s3_key))
    error_message = "package_s3_key must be an object key (no leading '/') of a .zip file."
  }
}

variable "package_s3_object_version" {
  description = "Version id of the package object, if the artifacts bucket is versioned and a specific version must be deployed. null: the current version."
  type        = string
  default     = null
}

variable "package_sha256" {
  description = "Base64-encoded SHA-256 of the package zip (what `openssl dgst -sha256 -binary | base64` prints, or filebase64sha256()): the functions' source_code_hash, so a new package (and only a new package) updates the code."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.package_sha256))
    error_message = "package_sha256 must be a base64-encoded SHA-256 digest (44 characters ending in '='), not a hex digest."
  }
}

variable "layer_arns" {
  description = "Lambda layer version ARNs added to every function, at most 5. The package does not bundle pandas, pyarrow, numpy or boto3: give the AWS SDK for pandas managed layer for Python 3.12, x86_64, arn:aws:lambda:<region>:336392948345:layer:AWSSDKPandas-Python312:<version> (see README)."
  type        = list(string)

  validation {
    condition     = length(var.layer_arns) <= 5
    error_message = "A Lambda function takes at most 5 layers."
  }

  validation {
    condition     = alltrue([for arn in var.layer_arns : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", arn))])
    error_message = "Every layer must be a layer version ARN (arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>), with its version number."
  }
}

# --- sizes --------------------------------------------------------------------------------------

variable "functions" {
  description = "Per-function overrides, by handler name (s3_trigger, schedule_trigger, file_validator, file_router, lightweight_transform, publish_curated, refresh_athena_tables, data_quality_check, run_summary, api_handler): memory_mb (128-10240), timeout_seconds (1-900; api_handler at most 30, the API Gateway limit), ephemeral_storage_mb (512-10240), reserved_concurrency (-1 = none). Unset fields keep the defaults in the README."
  type = map(object({
    memory_mb            = optional(number)
    timeout_seconds      = optional(number)
    ephemeral_storage_mb = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}

  validation {
    condition = alltrue([
      for name in keys(var.functions) : contains([
        "s3_trigger", "schedule_trigger", "file_validator", "file_router", "lightweight_transform",
        "publish_curated", "refresh_athena_tables", "data_quality_check", "run_summary", "api_handler",
      ], name)
    ])
    error_message = "functions has a key that is not a handler of pipeline_lib/handlers: use s3_trigger, schedule_trigger, file_validator, file_router, lightweight_transform, publish_curated, refresh_athena_tables, data_quality_check, run_summary or api_handler."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) :
      coalesce(f.memory_mb, 128) >= 128 && coalesce(f.memory_mb, 128) <= 10240 && floor(coalesce(f.memory_mb, 128)) == coalesce(f.memory_mb, 128)
    ])
    error_message = "memory_mb must be a whole number of MB from 128 to 10240 (Lambda's range)."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) :
      coalesce(f.timeout_seconds, 1) >= 1 && coalesce(f.timeout_seconds, 1) <= 900 && floor(coalesce(f.timeout_seconds, 1)) == coalesce(f.timeout_seconds, 1)
    ])
    error_message = "timeout_seconds must be a whole number of seconds from 1 to 900 (Lambda's maximum)."
  }

  validation {
    condition     = coalesce(try(var.functions["api_handler"].timeout_seconds, null), 30) <= 30
    error_message = "api_handler's timeout_seconds must be at most 30: API Gateway HTTP APIs wait 30 seconds for an integration."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) :
      coalesce(f.ephemeral_storage_mb, 512) >= 512 && coalesce(f.ephemeral_storage_mb, 512) <= 10240
    ])
    error_message = "ephemeral_storage_mb must be from 512 to 10240 MB."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) :
      coalesce(f.reserved_concurrency, -1) >= -1 && floor(coalesce(f.reserved_concurrency, -1)) == coalesce(f.reserved_concurrency, -1)
    ])
    error_message = "reserved_concurrency must be -1 (no reservation), 0 (the function is switched off) or a positive whole number."
  }
}

variable "async_functions" {
  description = "Handlers invoked asynchronously (events, fire-and-forget): each gets an SQS dead-letter queue, dead_letter_config and an event invoke config. The others are invoked synchronously (Step Functions, API Gateway, the SQS event source mapping), whose callers handle failures."
  type        = set(string)
  default     = ["schedule_trigger", "lightweight_transform"]

  validation {
    condition = alltrue([
      for name in var.async_functions : contains([
        "s3_trigger", "schedule_trigger", "file_validator", "file_router", "lightweight_transform",
        "publish_curated", "refresh_athena_tables", "data_quality_check", "run_summary", "api_handler",
      ], name)
    ])
    error_message = "async_functions must name handlers of pipeline_lib/handlers."
  }
}

variable "async_max_event_age_seconds" {
  description = "Asynchronous events older than this go to the function's dead-letter queue instead of running late (60-21600)."
  type        = number
  default     = 3600

  validation {
    condition     = var.async_max_event_age_seconds >= 60 && var.async_max_event_age_seconds <= 21600
    error_message = "async_max_event_age_seconds must be from 60 to 21600 (6 hours)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the dead-letter queues keep a message (60-1209600; default 14 days, the SQS maximum, time to notice and redrive)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "log_retention_days" {
  description = "Days to keep each function's logs (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# --- what the functions use ---------------------------------------------------------------------

variable "kms_key_arn" {
  description = "ARN of the pipeline's customer managed KMS key: it encrypts the log groups, the queues and the environment variables, and the lake's objects (the roles may use it only through S3 and SQS). Its key policy must allow logs.<region>.amazonaws.com (see README)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "bucket_names" {
  description = "Names of the lake's buckets by zone: s3-data-lake's bucket_names output fits as is (raw, processed, curated, quarantine, reports, query_results; other keys are ignored). meta is the bucket of the _meta zone (publish pointer, run records, quality reports); null: the processed bucket. Each role is granted only the zones its handler touches."
  type = object({
    raw           = string
    processed     = string
    curated       = string
    quarantine    = string
    reports       = string
    query_results = string
    meta          = optional(string)
  })

  validation {
    condition     = alltrue([for name in values(var.bucket_names) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name)) if name != null])
    error_message = "Every bucket_names value must be an S3 bucket name (not an ARN or s3:// URI)."
  }
}

variable "ledger_table_arn" {
  description = "ARN of the ingestion ledger DynamoDB table (ledger module): read and conditionally written by the validating handlers."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.ledger_table_arn))
    error_message = "ledger_table_arn must be a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "lock_table_arn" {
  description = "ARN of the run-lock DynamoDB table (ledger module): one writer per lake at a time."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.lock_table_arn))
    error_message = "lock_table_arn must be a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "state_machine_name" {
  description = "Name of the pipeline's state machine (step-functions: <name_prefix>-pipeline). The triggers may start executions of it only. A name, not the ARN: the state machine needs these functions' ARNs, so its ARN output would make a dependency cycle; the ARN is built from this name, the region and the account."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.state_machine_name))
    error_message = "state_machine_name must be a state machine name (1-80 letters, digits, '_' or '-'), not an ARN."
  }
}

variable "glue_database_names" {
  description = "Names of the Glue Data Catalog databases by zone (glue-etl outputs): raw, processed, curated. publish_curated and refresh_athena_tables maintain all three (the raw tables too: no crawlers); api_handler reads curated."
  type = object({
    raw       = string
    processed = string
    curated   = string
  })

  validation {
    condition     = alltrue([for name in values(var.glue_database_names) : can(regex("^[a-z0-9_]{1,255}$", name))])
    error_message = "Glue database names must be 1-255 lowercase letters, digits or underscores (Athena-compatible)."
  }
}

variable "athena_workgroup_name" {
  description = "Athena workgroup the API runs its named queries in (athena module; params' query.workgroup), passed as PIPELINE_ATHENA_WORKGROUP. api_handler may use this workgroup only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.athena_workgroup_name))
    error_message = "athena_workgroup_name must be a workgroup name (1-128 letters, digits, '.', '_' or '-')."
  }
}

variable "api_allowed_origin" {
  description = "The dashboard's origin, e.g. \"https://d111111abcdef8.cloudfront.net\" (dashboard-hosting's api_allowed_origin output): api_handler's ALLOWED_ORIGIN, the one site whose pages may read the API's answers (CORS). null: no CORS header (same-origin pages only)."
  type        = string
  default     = null

  validation {
    condition     = var.api_allowed_origin == null || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", var.api_allowed_origin))
    error_message = "api_allowed_origin must be null or exactly one origin, scheme://host[:port], with no path and no '*'."
  }
}

variable "lake_uri" {
  description = "PIPELINE_LAKE for every function, overriding the `lake` of params/<env>.yaml. null: the params file decides."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "ARN of an IAM permissions boundary for every role, where the account requires one. null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
