# The pipeline's two DynamoDB tables, the AWS side of what the local target keeps in
# lake/_meta/: the ingestion ledger (SQLite locally, pipeline_lib/ingestion/_ledger.py) and
# the lake's run lock (a lock file locally, pipeline_lib/orchestration/pipeline.py).
#
# They are data, not code: the Lambda functions (lambda-processors) and the Glue jobs
# (glue-etl) both read the ledger, and replacing either of those modules must never touch
# these tables. Hence a module of their own, with deletion protection on by default.

locals {
  ledger_name = "${var.name_prefix}-ingestion-ledger"
  lock_name   = "${var.name_prefix}-run-lock"
}

# One item per file content (sk = "file") and one per event of that content
# (sk = "event#<ISO time>#<uuid>"), so that "the same content is processed once" is a
# conditional put on (sha256, "file") and a file's history is one Query on its sha256.
resource "aws_dynamodb_table" "ledger" {
  name                        = local.ledger_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "sha256"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "sha256"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  attribute {
    name = "dataset"
    type = "S"
  }
  attribute {
    name = "ingested_at"
    type = "S"
  }
  attribute {
    name = "source_path"
    type = "S"
  }

  # accepted_files(dataset): a dataset's files in arrival order. Only file items carry
  # ingested_at, so events never enter this (sparse) index.
  global_secondary_index {
    name            = "dataset-ingested_at"
    hash_key        = "dataset"
    range_key       = "ingested_at"
    projection_type = "ALL"
  }

  # known_paths() / pending_raw_files(): has an object of the raw zone been seen?
  global_secondary_index {
    name            = "source_path"
    hash_key        = "source_path"
    projection_type = "KEYS_ONLY"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = merge(var.tags, { Name = local.ledger_name })
}

# One item per lock (lock_id = "lake": one writer per lake at a time, a run or an ingest),
# taken with a conditional put "attribute_not_exists(lock_id) OR expires_at < :now".
# DynamoDB's TTL deletes expired items only eventually (typically within days), so the
# expiry in the condition is what frees a lock left by a killed writer; TTL only tidies.
resource "aws_dynamodb_table" "run_lock" {
  name                        = local.lock_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "lock_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "lock_id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = merge(var.tags, { Name = local.lock_name })
}
