variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): jobs <name_prefix>-<notebook with - for _>, role <name_prefix>-glue-jobs, security configuration <name_prefix>-glue."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "environment" {
  description = "The deployment's environment (--env of every job, and the params file params/<env>.yaml)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "database_prefix" {
  description = "Prefix of the Glue databases: <prefix>_raw, <prefix>_processed, <prefix>_curated. null: name_prefix with _ for - (ecom_prod_curated). \"\": the bare zone names raw, processed, curated, which the named queries of sql/ use as schemas (curated.transactions): see README."
  type        = string
  default     = null

  validation {
    condition     = var.database_prefix == null || can(regex("^([a-z][a-z0-9_]{0,200})?$", var.database_prefix))
    error_message = "database_prefix must be null, empty, or start with a lowercase letter followed by lowercase letters, digits or underscores (Athena-compatible)."
  }
}

variable "notebooks_dir" {
  description = "The repository's notebooks/ folder: every .py notebook of its ingestion/, etl/ and quality/ subfolders becomes a job. null: notebooks/ of this repository, found from the module's path."
  type        = string
  default     = null

  validation {
    condition     = var.notebooks_dir == null || length(fileset(coalesce(var.notebooks_dir, "."), "{ingestion,etl,quality}/*.py")) > 0
    error_message = "notebooks_dir must be a folder with notebooks in ingestion/, etl/ or quality/."
  }
}

# --- the packaged code ----------------------------------------------------------------------------

variable "artifacts_bucket_name" {
  description = "The artifacts bucket, where `make package`'s dist/glue/ is uploaded under artifacts_prefix: glue_runner.py (every job's script) and the pipeline_lib wheel."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be an S3 bucket name, not an ARN or URI."
  }
}

variable "artifacts_prefix" {
  description = "Key prefix of this release in the artifacts bucket, e.g. \"glue/0.1.0\": the jobs run s3://<artifacts>/<prefix>/glue_runner.py and install s3://<artifacts>/<prefix>/ecom_pipeline-<package_version>-py3-none-any.whl. The role may read under this prefix only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+$", trim(var.artifacts_prefix, "/"))) && !strcontains(var.artifacts_prefix, "..")
    error_message = "artifacts_prefix must be a non-empty S3 key prefix without '..'."
  }
}

variable "package_version" {
  description = "Version of the ecom-pipeline wheel (pyproject.toml's version), naming dist/glue/ecom_pipeline-<version>-py3-none-any.whl."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)*([a-z0-9.+_]*)$", var.package_version))
    error_message = "package_version must be a wheel version such as 0.1.0 (PEP 440, normalized)."
  }
}

variable "additional_python_modules" {
  description = "The pip requirements installed with the wheel (--additional-python-modules, after it). null: every pin of the Glue lock, requirements/glue.txt of this repository (the set `make test-glue` tests the package with under Python 3.9; the wheel requires its glue.in pins). A list replaces the lock, e.g. [\"papermill==2.6.0\"]."
  type        = list(string)
  default     = null

  validation {
    condition     = var.additional_python_modules == null || alltrue([for m in coalesce(var.additional_python_modules, []) : !strcontains(m, ",") && trimspace(m) != ""])
    error_message = "Each entry of additional_python_modules is one requirement, without commas."
  }
}

variable "params_s3_uri" {
  description = "s3:// URI of the environment's params file that every job receives as --params_uri. null: s3://<artifacts>/<artifacts_prefix>/params/<environment>.yaml (upload params/<env>.yaml there)."
  type        = string
  default     = null

  validation {
    condition     = var.params_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.ya?ml$", var.params_s3_uri))
    error_message = "params_s3_uri must be null or an s3://bucket/key.yaml URI."
  }
}

# --- sizes ----------------------------------------------------------------------------------------

variable "default_max_capacity" {
  description = "DPUs of every job without an override: 0.0625 (1/16 DPU, 1 GB of memory) or 1 (16 GB). Python shell jobs accept only these two."
  type        = number
  default     = 0.0625

  validation {
    condition     = contains([0.0625, 1], var.default_max_capacity)
    error_message = "default_max_capacity must be 0.0625 or 1 (the values Glue Python shell accepts)."
  }
}

variable "default_timeout_minutes" {
  description = "Timeout of every job without an override, in minutes: a run stuck longer fails (and the state machine reports it) instead of billing on."
  type        = number
  default     = 60

  validation {
    condition     = var.default_timeout_minutes >= 1 && var.default_timeout_minutes <= 2880 && floor(var.default_timeout_minutes) == var.default_timeout_minutes
    error_message = "default_timeout_minutes must be a whole number of minutes from 1 to 2880 (48 hours)."
  }
}

variable "default_max_retries" {
  description = "Glue's own retries of a failed job run (0-10), on top of the state machine's Retry on Glue service errors. A notebook re-run rewrites its own staged version, so a retry is safe."
  type        = number
  default     = 1

  validation {
    condition     = var.default_max_retries >= 0 && var.default_max_retries <= 10 && floor(var.default_max_retries) == var.default_max_retries
    error_message = "default_max_retries must be a whole number from 0 to 10."
  }
}

variable "jobs" {
  description = "Per-job overrides by notebook name (transaction_etl, product_enrichment, clickstream_aggregation, reviews_etl, master_data_merge, data_quality, ...): max_capacity (0.0625 or 1), timeout_minutes, max_retries. Without an override clickstream_aggregation, master_data_merge and data_quality get 1 DPU, the others default_max_capacity."
  type = map(object({
    max_capacity    = optional(number)
    timeout_minutes = optional(number)
    max_retries     = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for j in values(var.jobs) : contains([0.0625, 1], coalesce(j.max_capacity, 0.0625))])
    error_message = "max_capacity of a Python shell job must be 0.0625 or 1."
  }

  validation {
    condition = alltrue([
      for j in values(var.jobs) :
      coalesce(j.timeout_minutes, 1) >= 1 && coalesce(j.timeout_minutes, 1) <= 2880 && coalesce(j.max_retries, 0) >= 0 && coalesce(j.max_retries, 0) <= 10
    ])
    error_message = "timeout_minutes must be from 1 to 2880 and max_retries from 0 to 10."
  }
}

# --- what the jobs use ----------------------------------------------------------------------------

variable "bucket_names" {
  description = "Names of the lake's buckets by zone: s3-data-lake's bucket_names output fits as is (raw, processed, curated, quarantine, reports; other keys are ignored). meta is the bucket of the _meta zone (run records, quality reports); null: the processed bucket."
  type = object({
    raw        = string
    processed  = string
    curated    = string
    quarantine = string
    reports    = string
    meta       = optional(string)
  })

  validation {
    condition     = alltrue([for name in values(var.bucket_names) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name)) if name != null])
    error_message = "Every bucket_names value must be an S3 bucket name (not an ARN or s3:// URI)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the pipeline's customer managed KMS key: the security configuration encrypts S3 writes, CloudWatch Logs and job bookmarks with it; the roles may use it through S3 only. Its key policy must allow logs.<region>.amazonaws.com (see README)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "ledger_table_arn" {
  description = "ARN of the ingestion ledger table (ledger module): the notebooks read which accepted files a run includes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.ledger_table_arn))
    error_message = "ledger_table_arn must be a DynamoDB table ARN."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of an IAM permissions boundary for the jobs' role, where the account requires one. null: none."
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
