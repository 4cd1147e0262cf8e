# The data lake on AWS: one bucket per zone (the folders of the local lake/, plus the reports,
# Athena query results and build artifacts), one bucket for their server access logs, and the
# customer managed KMS key that encrypts the zone buckets.
#
# Every zone bucket: SSE-KMS with the key and S3 Bucket Keys, versioning, ACLs disabled,
# public access blocked, a policy that refuses plain HTTP and puts that ask for another
# encryption or another key, server access logs to the log bucket, lifecycle rules.
# The raw bucket also sends its events to EventBridge (the eventbridge module's rule).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # zone key (used in outputs and for_each) => part of the bucket name
  zones = {
    raw           = "raw"
    processed     = "processed"
    curated       = "curated"
    quarantine    = "quarantine"
    reports       = "reports"
    query_results = "query-results"
    artifacts     = "artifacts"
  }

  # <project>-<zone>-<env>, the names params/<env>.yaml expects (e.g. ecom-pipeline-raw-dev).
  # The variables' lengths keep the longest (query-results) within S3's 63 characters.
  bucket_names    = { for zone, part in local.zones : zone => "${var.name_prefix}-${part}-${var.environment}" }
  log_bucket_name = "${var.name_prefix}-access-logs-${var.environment}"

  # Built from the names (not read from the buckets) so that the policies are known at plan time.
  bucket_arns    = { for zone, name in local.bucket_names : zone => "arn:${local.partition}:s3:::${name}" }
  log_bucket_arn = "arn:${local.partition}:s3:::${local.log_bucket_name}"

  # Zones whose staging/ prefix holds the write-audit-publish scratch data of a run.
  staging_zones = ["processed", "curated"]
}

# --- KMS key ----------------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name_prefix} ${var.environment} data lake buckets (SSE-KMS) and the pipeline's queues and log groups."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = jsonencode(local.key_policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}-data-lake-${var.environment}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      # The account administers the key and grants its use through IAM policies (the Lambda,
      # Glue and Step Functions roles): without this statement IAM policies cannot grant it.
      # In a key policy, Resource "*" is this key.
      {
        Sid       = "AccountAdministersAndGrantsThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      # CloudWatch Logs encrypts this account's log groups with the key (step-functions and
      # lambda modules), for log groups of this account and region only.
      {
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      # EventBridge writes to the queues the eventbridge module encrypts with this key, for
      # this account's rules only.
      {
        Sid       = "EventBridgeRulesOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "aws:SourceArn" = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/*"
          }
        }
      },
    ]
  }
}

# --- zone buckets -------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144: Cross-region replication doubles storage and request cost (the cost model stays under $20 a month); processed, curated, reports, query results and artifacts are rebuilt from raw and the repository, and raw and quarantine keep their overwritten or deleted versions (versioning, noncurrent_version_expiration_days).
  #checkov:skip=CKV2_AWS_62: Only the raw bucket's new objects start work: it sends its events to EventBridge (aws_s3_bucket_notification.raw); events of the other zones have no consumer.
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { zone = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    # One data key per bucket instead of a KMS request per object: fewer KMS calls, lower cost.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = aws_s3_bucket.this

  bucket        = each.value.bucket
  target_bucket = aws_s3_bucket.logs.bucket
  target_prefix = "${each.value.bucket}/"

  # The log bucket must let the logging service in before S3 accepts the configuration.
  depends_on = [aws_s3_bucket_policy.logs]
}

locals {
  # Denies shared by every zone bucket.
  zone_bucket_policies = {
    for zone, arn in local.bucket_arns : zone => {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = [arn, "${arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        # Objects are encrypted by default (SSE-KMS with the lake key); a client that asks for
        # an encryption explicitly must ask for that one.
        {
          Sid       = "DenyOtherEncryptionThanSseKms"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${arn}/*"
          Condition = {
            StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
            Null            = { "s3:x-amz-server-side-encryption" = "false" }
          }
        },
        {
          Sid       = "DenyOtherKmsKeyThanTheLakeKey"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${arn}/*"
          Condition = {
            StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.this.arn }
            Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
          }
        },
      ]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  policy = jsonencode(local.zone_bucket_policies[each.key])

  # A policy put together with the public access block can race it.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  # Every bucket: uploads that never completed, and old versions, do not pile up.
  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # A delete marker whose versions have all expired is removed too. Not needed in
    # query-results: an expiration by days (its rule below) removes them as well.
    dynamic "expiration" {
      for_each = each.key == "query_results" ? [] : [true]
      content {
        expired_object_delete_marker = true
      }
    }
  }

  # raw: landed files are read once or twice, then kept for full refreshes.
  dynamic "rule" {
    for_each = each.key == "raw" ? [true] : []
    content {
      id     = "raw-to-cheaper-storage"
      status = "Enabled"
      filter {}

      transition {
        days          = var.raw_transition_to_ia_days
        storage_class = "STANDARD_IA"
      }

      dynamic "transition" {
        for_each = var.raw_transition_to_glacier_ir_days == null ? [] : [var.raw_transition_to_glacier_ir_days]
        content {
          days          = transition.value
          storage_class = "GLACIER_IR"
        }
      }
    }
  }

  # processed and curated: staging/ holds a run's data before its audit; a failed run's leftovers expire.
  dynamic "rule" {
    for_each = contains(local.staging_zones, each.key) ? [true] : []
    content {
      id     = "expire-staging"
      status = "Enabled"
      filter {
        prefix = "staging/"
      }
      expiration {
        days = var.staging_expiration_days
      }
    }
  }

  # query-results: Athena result files are only read right after their query.
  dynamic "rule" {
    for_each = each.key == "query_results" ? [true] : []
    content {
      id     = "expire-query-results"
      status = "Enabled"
      filter {}
      expiration {
        days = var.query_results_expiration_days
      }
    }
  }

  # Rules apply to the versions that exist: versioning first.
  depends_on = [aws_s3_bucket_versioning.this]

  lifecycle {
    precondition {
      condition     = var.raw_transition_to_glacier_ir_days == null || try(var.raw_transition_to_glacier_ir_days >= var.raw_transition_to_ia_days + 30, false)
      error_message = "raw_transition_to_glacier_ir_days must be null or at least 30 days after raw_transition_to_ia_days (S3 keeps objects 30 days in STANDARD_IA before another transition)."
    }
  }
}

# New objects in raw start runs: "Object Created" events go to EventBridge.
resource "aws_s3_bucket_notification" "raw" {
  bucket      = aws_s3_bucket.this["raw"].bucket
  eventbridge = true
}

# --- access log bucket ---------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145: S3 server access logging delivers only to a bucket encrypted with SSE-S3 (AES256); SSE-KMS is not supported for the target bucket.
  #checkov:skip=CKV_AWS_18: This is the access-log target bucket; logging it into itself would log every log delivery.
  #checkov:skip=CKV_AWS_144: Access logs are kept for audits in one region; replicating them doubles their cost.
  #checkov:skip=CKV2_AWS_62: Nothing consumes events of access-log objects.
  bucket        = local.log_bucket_name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { zone = "access-logs" })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

locals {
  log_bucket_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.log_bucket_arn, "${local.log_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      # Server access logging writes with this service principal, for the zone buckets of this
      # account only, each under its own prefix.
      {
        Sid       = "S3ServerAccessLogsOfTheZoneBuckets"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = [for name in values(local.bucket_names) : "${local.log_bucket_arn}/${name}/*"]
        Condition = {
          ArnLike      = { "aws:SourceArn" = values(local.bucket_arns) }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket     = aws_s3_bucket.logs.bucket
  policy     = jsonencode(local.log_bucket_policy)
  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.bucket

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}
