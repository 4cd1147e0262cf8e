variable "workgroup_name" {
  description = "Name of the Athena workgroup, e.g. query.workgroup of params/<env>.yaml (\"ecom-pipeline-analytics-dev\"), which pipeline_lib's Athena engine uses. Results go to s3://<query_results_bucket_name>/<workgroup_name>/."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.workgroup_name))
    error_message = "workgroup_name must be 1-128 letters, digits, '.', '_' or '-'."
  }
}

variable "database_name" {
  description = "Glue Data Catalog database the named queries run in (their default database; the queries name their tables with a schema, e.g. curated.transactions)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be 1-255 lowercase letters, digits or underscores (a name Athena can use without quotes)."
  }
}

variable "query_results_bucket_name" {
  description = "Name of the query-results bucket (s3-data-lake output query_results_bucket_name), whose lifecycle expires the result files."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.query_results_bucket_name))
    error_message = "query_results_bucket_name must be an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'), not an ARN or s3:// URL."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the query results (SSE_KMS): the data lake key (s3-data-lake output kms_key_arn), which the query-results bucket's policy requires for explicit SSE-KMS puts. Query runners need kms:GenerateDataKey and kms:Decrypt on it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias: the bucket policy compares the key ARN."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query once it has scanned this many bytes (and bills what it scanned): the cost ceiling of one query, e.g. query.bytes_scanned_cutoff of params/<env>.yaml. At least 10 MB (10485760 bytes), Athena's minimum."
  type        = number
  default     = 10737418240 # 10 GiB, about $0.05 at $5 per TB

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "engine_version" {
  description = "Athena engine version the workgroup selects. The SQL in sql/ is written for Trino, i.e. \"Athena engine version 3\"; \"AUTO\" lets Athena choose."
  type        = string
  default     = "Athena engine version 3"

  validation {
    condition     = contains(["Athena engine version 3", "AUTO"], var.engine_version)
    error_message = "engine_version must be \"Athena engine version 3\" (the dialect of sql/) or \"AUTO\"."
  }
}

variable "named_queries" {
  description = "Named queries to save in the workgroup: name => SQL text. The environment root builds it from the repository's sql/*.sql files (see README), so the saved queries are the files the local engine runs."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.named_queries) : can(regex("^[A-Za-z0-9_.-]{1,128}$", name))])
    error_message = "Every named query name must be 1-128 letters, digits, '_', '.' or '-' (the file name without .sql)."
  }

  validation {
    condition     = alltrue([for sql in values(var.named_queries) : length(trimspace(sql)) > 0 && length(sql) <= 262144])
    error_message = "Every named query must have SQL text, at most 262144 characters (Athena's limit)."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the workgroup even when it holds named queries and query history."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the workgroup (on top of the provider's default_tags); a Name tag is always added."
  type        = map(string)
  default     = {}
}
