# The Glue side of the pipeline: the Data Catalog databases of the three zones, a security
# configuration (KMS for S3, CloudWatch Logs and job bookmarks), one Glue Python shell job
# per notebook of notebooks/{ingestion,etl,quality}/ (each runs the packaged runner, which
# executes its notebook with papermill). No crawlers: the pipeline registers every table
# itself when it publishes (docs/adr/0004-glue-tables-registered-on-publish.md).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # The lake's buckets by zone; the _meta zone lives in the processed bucket unless named.
  buckets = merge(var.bucket_names, { meta = coalesce(var.bucket_names.meta, var.bucket_names.processed) })

  # --- catalog ------------------------------------------------------------------------------
  database_prefix = var.database_prefix == null ? replace(var.name_prefix, "-", "_") : var.database_prefix
  database_names = {
    for zone in ["raw", "processed", "curated"] :
    zone => local.database_prefix == "" ? zone : "${local.database_prefix}_${zone}"
  }

  # --- notebooks -> jobs ----------------------------------------------------------------------
  # Every notebook of these folders is a job, named after its file: notebooks/etl/
  # transaction_etl.py is the job <name_prefix>-transaction-etl, key transaction_etl.
  # Files starting with "_" are helpers/templates, not notebooks. --notebook is the path
  # relative to the notebooks folder (etl/transaction_etl.py): the runner joins it onto
  # PIPELINE_NOTEBOOKS_DIR, the notebooks/ folder of the unpacked resources.zip.
  notebooks_dir = var.notebooks_dir == null ? "${path.module}/../../../notebooks" : var.notebooks_dir
  notebook_files = sort([
    for f in fileset(local.notebooks_dir, "{ingestion,etl,quality}/*.py") : f
    if !startswith(basename(f), "_")
  ])
  notebooks = { for f in local.notebook_files : trimsuffix(basename(f), ".py") => f }

  # The heavy notebooks get a whole DPU (16 GB): the clickstream sessionization, the merge
  # of every processed table, and the audit (measured: they dominate the run's memory,
  # README "Benchmarks"). The others fit in 1/16 DPU (1 GB).
  default_job_settings = {
    clickstream_aggregation = { max_capacity = 1 }
    master_data_merge       = { max_capacity = 1 }
    data_quality            = { max_capacity = 1 }
  }
  jobs = {
    for name, notebook in local.notebooks : name => {
      job_name = "${var.name_prefix}-${replace(name, "_", "-")}"
      notebook = notebook
      max_capacity = coalesce(
        try(var.jobs[name].max_capacity, null),
        try(local.default_job_settings[name].max_capacity, null),
        var.default_max_capacity,
      )
      timeout_minutes = coalesce(try(var.jobs[name].timeout_minutes, null), var.default_timeout_minutes)
      max_retries     = coalesce(try(var.jobs[name].max_retries, null), var.default_max_retries)
    }
  }

  # --- the packaged code (contract with `make package`) ----------------------------------------
  artifacts_prefix = trim(var.artifacts_prefix, "/")
  runner_uri       = "s3://${var.artifacts_bucket_name}/${local.artifacts_prefix}/glue_runner.py"
  wheel_name       = "ecom_pipeline-${var.package_version}-py3-none-any.whl"
  wheel_uri        = "s3://${var.artifacts_bucket_name}/${local.artifacts_prefix}/${local.wheel_name}"
  params_uri       = var.params_s3_uri == null ? "s3://${var.artifacts_bucket_name}/${local.artifacts_prefix}/params/${var.environment}.yaml" : var.params_s3_uri

  # The Glue lock: every `name==version` of requirements/glue.txt (its hashes stay out:
  # --additional-python-modules takes requirement specifiers only). pip replaces the
  # preinstalled analytics library set's copies of these distributions with the pins.
  glue_lock_file = "${path.module}/../../../requirements/glue.txt"
  locked_python_modules = [
    for pin in regexall("(?m)^([A-Za-z0-9][A-Za-z0-9._-]*==[^\\s;\\\\#]+)", file(local.glue_lock_file)) : pin[0]
  ]
  python_modules = var.additional_python_modules == null ? local.locked_python_modules : var.additional_python_modules

  # The same deployment settings the Lambda functions get as environment variables: the
  # runner exports every --PIPELINE_* argument to its environment before it runs the
  # notebook, so pipeline_lib reads them the same way in Lambda and in Glue.
  pipeline_arguments = {
    "--PIPELINE_ENV"                = var.environment
    "--PIPELINE_REPORTS"            = "s3://${local.buckets.reports}/"
    "--PIPELINE_RAW_BUCKET"         = local.buckets.raw
    "--PIPELINE_PROCESSED_BUCKET"   = local.buckets.processed
    "--PIPELINE_CURATED_BUCKET"     = local.buckets.curated
    "--PIPELINE_QUARANTINE_BUCKET"  = local.buckets.quarantine
    "--PIPELINE_META_BUCKET"        = local.buckets.meta
    "--PIPELINE_REPORTS_BUCKET"     = local.buckets.reports
    "--PIPELINE_LEDGER_TABLE"       = element(split("/", var.ledger_table_arn), 1)
    "--PIPELINE_KMS_KEY_ARN"        = var.kms_key_arn
    "--PIPELINE_RAW_DATABASE"       = local.database_names.raw
    "--PIPELINE_PROCESSED_DATABASE" = local.database_names.processed
    "--PIPELINE_CURATED_DATABASE"   = local.database_names.curated
  }
}

# --- Data Catalog -------------------------------------------------------------------------------

resource "aws_glue_catalog_database" "this" {
  for_each = local.database_names

  name         = each.value
  description  = "ecom-pipeline ${var.environment}: the ${each.key} zone (s3://${local.buckets[each.key]}/)."
  location_uri = "s3://${local.buckets[each.key]}/"
  tags         = var.tags
}

# --- security configuration ---------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  name = "${var.name_prefix}-glue"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

# --- jobs -----------------------------------------------------------------------------------------

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name        = each.value.job_name
  description = "Runs notebooks/${each.value.notebook} with papermill (the packaged glue_runner.py), for the state machine."
  role_arn    = aws_iam_role.job.arn

  glue_version    = "3.0" # Python shell with Python 3.9
  max_capacity    = each.value.max_capacity
  timeout         = each.value.timeout_minutes
  max_retries     = each.value.max_retries
  execution_class = "STANDARD" # explicit: the API's default, and no drift against moto

  security_configuration = aws_glue_security_configuration.this.name

  command {
    name            = "pythonshell"
    python_version  = "3.9"
    script_location = local.runner_uri
  }

  # One run of a notebook at a time: the lake's run lock already allows one pipeline run;
  # a second StartJobRun fails with ConcurrentRunsExceededException, which the state
  # machine retries.
  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = merge(local.pipeline_arguments, {
    "--job-language"                     = "python"
    "library-set"                        = "analytics" # awswrangler, pandas, pyarrow, boto3 preinstalled
    "--additional-python-modules"        = join(",", concat([local.wheel_uri], local.python_modules))
    "--enable-continuous-cloudwatch-log" = "true"
    "--notebook"                         = each.value.notebook
    "--env"                              = var.environment
    "--params_uri"                       = local.params_uri
    "--reports_uri"                      = "s3://${local.buckets.reports}/"
  })

  tags = merge(var.tags, { notebook = each.value.notebook })

  lifecycle {
    precondition {
      condition     = length(local.notebooks) == length(local.notebook_files)
      error_message = "Two notebooks of notebooks/{ingestion,etl,quality} have the same file name: job names come from file names and must be unique."
    }
  }
}
