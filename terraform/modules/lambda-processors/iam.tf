# One execution role per function, with an inline policy built from what that handler
# really touches (read from pipeline_lib/handlers and the modules they call; see the
# README's access table). Policies are JSON built here from names and ARNs known at plan
# time, so `terraform test` can check them and no policy depends on the resource it names.

locals {
  # S3 access per zone bucket: "read" (list + get), "readwrite" (+ put), "full" (+ delete).
  # Writers also read: the lake checks whether a key exists before it writes (HEAD needs
  # s3:GetObject, and s3:ListBucket to answer 404 rather than 403).
  access = {
    s3_trigger = {
      s3        = { raw = "read", processed = "readwrite", quarantine = "readwrite" }
      glue      = "none"
      ledger    = "readwrite"
      lock      = true
      start_run = true
      dead      = true
      athena    = false
    }
    schedule_trigger = {
      s3        = {}
      glue      = "none"
      ledger    = "none"
      lock      = false
      start_run = true
      dead      = false
      athena    = false
    }
    file_validator = {
      s3        = { raw = "read", processed = "readwrite", quarantine = "readwrite", meta = "readwrite" }
      glue      = "none"
      ledger    = "readwrite"
      lock      = true
      start_run = false
      dead      = true
      athena    = false
    }
    file_router = {
      s3        = {} # a pure decision on the event's size and the settings
      glue      = "none"
      ledger    = "none"
      lock      = false
      start_run = false
      dead      = false
      athena    = false
    }
    lightweight_transform = {
      s3        = { raw = "read", processed = "readwrite", quarantine = "readwrite" }
      glue      = "none"
      ledger    = "readwrite"
      lock      = true
      start_run = false
      dead      = true
      athena    = false
    }
    publish_curated = {
      # Switches the publish pointer (meta), records breaking schema changes (quarantine),
      # prunes old table versions (delete in processed and curated), keeps the catalog's
      # version history.
      s3        = { processed = "full", curated = "full", meta = "readwrite", quarantine = "readwrite" }
      glue      = "readwrite"
      ledger    = "none"
      lock      = true
      start_run = false
      dead      = false
      athena    = false
    }
    refresh_athena_tables = {
      s3        = { processed = "read", curated = "read", meta = "read" }
      glue      = "readwrite"
      ledger    = "none"
      lock      = false
      start_run = false
      dead      = false
      athena    = false
    }
    data_quality_check = {
      s3        = { meta = "read", reports = "read" } # the run's quality report, the HTML report
      glue      = "none"
      ledger    = "none"
      lock      = false
      start_run = false
      dead      = false
      athena    = false
    }
    run_summary = {
      s3        = { meta = "read", reports = "read" } # versions, accounting, history, report
      glue      = "none"
      ledger    = "none"
      lock      = true # gives the run's lease back
      start_run = false
      dead      = false
      athena    = false
    }
    api_handler = {
      # Named queries on Athena, which reads curated.* with the caller's credentials and
      # writes results to the query results bucket.
      s3        = { curated = "read", query_results = "readwrite" }
      glue      = "read"
      ledger    = "none"
      lock      = false
      start_run = false
      dead      = false
      athena    = true
    }
  }

  bucket_arns = { for zone, name in local.buckets : zone => "arn:${local.partition}:s3:::${name}" }

  s3_read_zones   = { for n, a in local.access : n => sort(keys(a.s3)) }
  s3_write_zones  = { for n, a in local.access : n => sort([for z, level in a.s3 : z if contains(["readwrite", "full"], level)]) }
  s3_delete_zones = { for n, a in local.access : n => sort([for z, level in a.s3 : z if level == "full"]) }

  # Glue Data Catalog: the catalog, the pipeline's databases and their tables. The API reads
  # curated only; the publish and refresh steps maintain every table, raw.<dataset> included
  # (there are no crawlers: docs/adr/0004-glue-tables-registered-on-publish.md).
  glue_databases = {
    read      = [var.glue_database_names.curated]
    readwrite = [var.glue_database_names.raw, var.glue_database_names.processed, var.glue_database_names.curated]
    none      = []
  }
  glue_resources = {
    for level, dbs in local.glue_databases : level => concat(
      ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"],
      [for db in dbs : "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${db}"],
      [for db in dbs : "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${db}/*"],
    )
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
    "glue:GetTableVersions",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
  ]

  athena_workgroup_arn = "arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.athena_workgroup_name}"

  # Every statement a function might get; `enabled` says whether it does.
  statement_candidates = {
    for name, a in local.access : name => [
      {
        enabled = true
        statement = {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${local.log_group_arns[name]}:*"]
        }
      },
      {
        # X-Ray trace and sampling actions have no resource-level permissions: AWS documents
        # Resource "*" for them (this is what AWSXRayDaemonWriteAccess grants).
        enabled = true
        statement = {
          Sid      = "WriteXRayTraces"
          Effect   = "Allow"
          Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
          Resource = ["*"]
        }
      },
      {
        enabled = length(local.s3_read_zones[name]) > 0
        statement = {
          Sid      = "ListZoneBuckets"
          Effect   = "Allow"
          Action   = a.athena ? ["s3:ListBucket", "s3:GetBucketLocation"] : ["s3:ListBucket"]
          Resource = distinct([for z in local.s3_read_zones[name] : local.bucket_arns[z]])
        }
      },
      {
        enabled = length(local.s3_read_zones[name]) > 0
        statement = {
          Sid      = "ReadZoneObjects"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = distinct([for z in local.s3_read_zones[name] : "${local.bucket_arns[z]}/*"])
        }
      },
      {
        enabled = length(local.s3_write_zones[name]) > 0
        statement = {
          Sid      = "WriteZoneObjects"
          Effect   = "Allow"
          Action   = a.athena ? ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] : ["s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = distinct([for z in local.s3_write_zones[name] : "${local.bucket_arns[z]}/*"])
        }
      },
      {
        enabled = length(local.s3_delete_zones[name]) > 0
        statement = {
          Sid      = "PruneOldTableVersions"
          Effect   = "Allow"
          Action   = ["s3:DeleteObject"]
          Resource = distinct([for z in local.s3_delete_zones[name] : "${local.bucket_arns[z]}/*"])
        }
      },
      {
        # SSE-KMS objects: S3 calls KMS on the function's behalf (and only S3 may).
        enabled = length(local.s3_read_zones[name]) > 0
        statement = {
          Sid       = "UseLakeKeyThroughS3"
          Effect    = "Allow"
          Action    = length(local.s3_write_zones[name]) > 0 ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"]
          Resource  = [var.kms_key_arn]
          Condition = { StringEquals = { "kms:ViaService" = ["s3.${local.region}.amazonaws.com"] } }
        }
      },
      {
        enabled = a.ledger != "none"
        statement = {
          Sid      = "ReadIngestionLedger"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
          Resource = [var.ledger_table_arn, "${var.ledger_table_arn}/index/*"]
        }
      },
      {
        # Conditional puts: the same content is recorded once, even when two triggers race.
        enabled = a.ledger == "readwrite"
        statement = {
          Sid      = "RecordInIngestionLedger"
          Effect   = "Allow"
          Action   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
          Resource = [var.ledger_table_arn]
        }
      },
      {
        enabled = a.lock
        statement = {
          Sid      = "HoldRunLock"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
          Resource = [var.lock_table_arn]
        }
      },
      {
        enabled = a.start_run
        statement = {
          Sid      = "StartPipelineExecution"
          Effect   = "Allow"
          Action   = ["states:StartExecution"]
          Resource = [local.state_machine_arn]
        }
      },
      {
        enabled = a.dead || contains(keys(local.async_functions), name)
        statement = {
          Sid    = "SendDeadLetters"
          Effect = "Allow"
          Action = ["sqs:SendMessage"]
          Resource = concat(
            a.dead ? [local.dead_letters_queue_arn] : [],
            contains(keys(local.async_functions), name) ? [lookup(local.dlq_arns, name, "")] : [],
          )
        }
      },
      {
        enabled = a.dead || contains(keys(local.async_functions), name)
        statement = {
          Sid       = "UseKeyThroughSqs"
          Effect    = "Allow"
          Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource  = [var.kms_key_arn]
          Condition = { StringEquals = { "kms:ViaService" = ["sqs.${local.region}.amazonaws.com"] } }
        }
      },
      {
        enabled = a.glue != "none"
        statement = {
          Sid      = "ReadGlueCatalog"
          Effect   = "Allow"
          Action   = local.glue_read_actions
          Resource = local.glue_resources[a.glue]
        }
      },
      {
        enabled = a.glue == "readwrite"
        statement = {
          Sid      = "MaintainGlueCatalog"
          Effect   = "Allow"
          Action   = local.glue_write_actions
          Resource = local.glue_resources[a.glue]
        }
      },
      {
        enabled = a.athena
        statement = {
          Sid    = "RunNamedQueriesInWorkgroup"
          Effect = "Allow"
          Action = [
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:StopQueryExecution",
            "athena:GetWorkGroup",
            "athena:ListQueryExecutions", # result reuse: awswrangler looks for a cached run
            "athena:BatchGetQueryExecution",
          ]
          Resource = [local.athena_workgroup_arn]
        }
      },
    ]
  }

  policies = {
    for name, candidates in local.statement_candidates : name => {
      Version   = "2012-10-17"
      Statement = [for c in candidates : c.statement if c.enabled]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name                 = each.value.function_name
  description          = "Execution role of the ${each.value.function_name} Lambda function (pipeline_lib.handlers.${each.key}) only."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  tags = merge(var.tags, { handler = each.key })
}

resource "aws_iam_role_policy" "this" {
  for_each = local.functions

  name   = "${each.value.function_name}-least-privilege"
  role   = aws_iam_role.this[each.key].name
  policy = jsonencode(local.policies[each.key])
}
