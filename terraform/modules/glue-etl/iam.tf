# The jobs' role: every notebook runs the same pipeline_lib code against the same zones.
# The policy is JSON built here from names known at plan time, so `terraform test` can
# check it.

locals {
  bucket_arns = { for zone, name in local.buckets : zone => "arn:${local.partition}:s3:::${name}" }

  # The notebooks read the validated Parquet copies (processed/validated/), write the run's
  # staged table versions (processed, curated), rejects (quarantine), run records and the
  # quality report (meta), executed notebooks and HTML reports (reports). They never read
  # raw (the validator did) and never publish (publish_curated does).
  job_read_zones  = ["processed", "curated", "quarantine", "meta", "reports"]
  job_write_zones = ["processed", "curated", "quarantine", "meta", "reports"]
  # A retried job rewrites its own staged version; overwriting a dataset folder deletes the
  # objects of the failed attempt.
  job_delete_zones = ["processed", "curated"]

  params_object = regex("^s3://([^/]+)/(.+)$", local.params_uri)
  artifact_objects = distinct([
    "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/${local.artifacts_prefix}/*",
    "arn:${local.partition}:s3:::${local.params_object[0]}/${local.params_object[1]}",
  ])

  catalog_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  database_arns = {
    for zone, name in local.database_names :
    zone => "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${name}"
  }
  table_arns = {
    for zone, name in local.database_names :
    zone => "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${name}/*"
  }

  glue_read_actions = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
  ]
  glue_write_actions = [
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
  ]

  # Glue names the log groups of jobs itself (/aws-glue/python-jobs/..., with the security
  # configuration's name when logs are encrypted), so the role may create groups under
  # /aws-glue/ only, and associate the key with them.
  glue_log_groups = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*"

  glue_logs_statement = {
    Sid      = "WriteGlueLogs"
    Effect   = "Allow"
    Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    Resource = [local.glue_log_groups, "${local.glue_log_groups}:*"]
  }

  job_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadRunnerWheelAndParams"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = local.artifact_objects
      },
      {
        Sid      = "ListZoneBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = distinct([for z in local.job_read_zones : local.bucket_arns[z]])
      },
      {
        Sid      = "ReadZoneObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = distinct([for z in local.job_read_zones : "${local.bucket_arns[z]}/*"])
      },
      {
        Sid      = "WriteZoneObjects"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = distinct([for z in local.job_write_zones : "${local.bucket_arns[z]}/*"])
      },
      {
        Sid      = "RewriteOwnStagedVersions"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = distinct([for z in local.job_delete_zones : "${local.bucket_arns[z]}/*"])
      },
      {
        Sid       = "UseLakeKeyThroughS3"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = [var.kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = ["s3.${local.region}.amazonaws.com"] } }
      },
      {
        # read_validated() and pin_inputs(): which accepted files a run reads.
        Sid      = "ReadIngestionLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
        Resource = [var.ledger_table_arn, "${var.ledger_table_arn}/index/*"]
      },
      {
        Sid      = "ReadOwnCatalog"
        Effect   = "Allow"
        Action   = local.glue_read_actions
        Resource = concat([local.catalog_arn], values(local.database_arns), values(local.table_arns))
      },
      {
        Sid      = "WriteProcessedAndCuratedCatalog"
        Effect   = "Allow"
        Action   = local.glue_write_actions
        Resource = [local.catalog_arn, local.database_arns.processed, local.database_arns.curated, local.table_arns.processed, local.table_arns.curated]
      },
      local.glue_logs_statement,
    ]
  }
}

resource "aws_iam_role" "job" {
  name                 = "${var.name_prefix}-glue-jobs"
  description          = "Runs the ${var.name_prefix} notebook jobs (Glue Python shell): artifacts read, zone buckets, the ledger, its own catalog databases."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GlueAssumeRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "${var.name_prefix}-glue-jobs-least-privilege"
  role   = aws_iam_role.job.name
  policy = jsonencode(local.job_policy)
}
