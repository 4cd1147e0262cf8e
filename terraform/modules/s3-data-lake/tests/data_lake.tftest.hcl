# Offline: `terraform test` with a mocked AWS provider, plan only (make lint-infra runs it
# from this module's directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

# Known at plan time, so the bucket policies (which name the key) can be checked in a plan.
override_resource {
  target          = aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
    key_id = "0b7e3a3c-1111-2222-3333-444455556666"
  }
}

variables {
  name_prefix = "ecom-pipeline"
  environment = "dev"
}

run "every_zone_has_a_private_encrypted_versioned_logged_bucket" {
  command = plan

  assert {
    condition = output.bucket_names == {
      raw           = "ecom-pipeline-raw-dev"
      processed     = "ecom-pipeline-processed-dev"
      curated       = "ecom-pipeline-curated-dev"
      quarantine    = "ecom-pipeline-quarantine-dev"
      reports       = "ecom-pipeline-reports-dev"
      query_results = "ecom-pipeline-query-results-dev"
      artifacts     = "ecom-pipeline-artifacts-dev"
    }
    error_message = "The zone buckets are not the seven expected names <name_prefix>-<zone>-<environment> (params/dev.yaml's naming)."
  }

  assert {
    condition     = output.raw_bucket_name == "ecom-pipeline-raw-dev" && output.query_results_bucket_name == "ecom-pipeline-query-results-dev" && aws_s3_bucket.logs.bucket == "ecom-pipeline-access-logs-dev"
    error_message = "The individual bucket outputs or the log bucket's name are wrong."
  }

  # Public access blocked on all eight buckets, all four settings.
  assert {
    condition = (
      keys(aws_s3_bucket_public_access_block.this) == keys(aws_s3_bucket.this) &&
      alltrue([
        for pab in concat(values(aws_s3_bucket_public_access_block.this), [aws_s3_bucket_public_access_block.logs]) :
        pab.block_public_acls && pab.block_public_policy && pab.ignore_public_acls && pab.restrict_public_buckets
      ])
    )
    error_message = "Every bucket, the log bucket included, must block public ACLs and policies."
  }

  assert {
    condition = alltrue([
      for oc in concat(values(aws_s3_bucket_ownership_controls.this), [aws_s3_bucket_ownership_controls.logs]) :
      one(oc.rule).object_ownership == "BucketOwnerEnforced"
    ])
    error_message = "ACLs must be disabled (BucketOwnerEnforced) on every bucket."
  }

  # SSE-KMS with the lake key and bucket keys on every zone bucket.
  assert {
    condition = keys(aws_s3_bucket_server_side_encryption_configuration.this) == keys(aws_s3_bucket.this) && alltrue([
      for sse in values(aws_s3_bucket_server_side_encryption_configuration.this) :
      one(sse.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(sse.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == output.kms_key_arn &&
      one(sse.rule).bucket_key_enabled == true
    ])
    error_message = "Every zone bucket must default to SSE-KMS with the lake key and S3 Bucket Keys."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.logs.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "The access-log bucket must use SSE-S3: server access logging cannot write to an SSE-KMS bucket."
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation == true && aws_kms_alias.this.name == "alias/ecom-pipeline-data-lake-dev"
    error_message = "The lake key must rotate and be aliased alias/<name_prefix>-data-lake-<environment>."
  }

  assert {
    condition = alltrue([
      for v in concat(values(aws_s3_bucket_versioning.this), [aws_s3_bucket_versioning.logs]) :
      v.versioning_configuration[0].status == "Enabled"
    ])
    error_message = "Versioning must be enabled on every bucket."
  }

  assert {
    condition = keys(aws_s3_bucket_logging.this) == keys(aws_s3_bucket.this) && alltrue([
      for zone, logging in aws_s3_bucket_logging.this :
      logging.target_bucket == aws_s3_bucket.logs.bucket && logging.target_prefix == "${output.bucket_names[zone]}/"
    ])
    error_message = "Every zone bucket must log its requests to the access-log bucket, under its own name."
  }

  assert {
    condition     = aws_s3_bucket_notification.raw.bucket == output.raw_bucket_name && aws_s3_bucket_notification.raw.eventbridge == true
    error_message = "The raw bucket must send its events to EventBridge."
  }
}

run "bucket_policies_deny_plain_http_and_other_encryption" {
  command = plan

  # Deny s3:* on the bucket and its objects when aws:SecureTransport is false, on all eight buckets.
  assert {
    condition = alltrue([
      for name, policy in merge(
        { for zone, p in aws_s3_bucket_policy.this : output.bucket_names[zone] => p.policy },
        { (aws_s3_bucket.logs.bucket) = aws_s3_bucket_policy.logs.policy },
      ) :
      length([
        for s in jsondecode(policy).Statement : s
        if s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
        try(s.Condition.Bool["aws:SecureTransport"], "") == "false" &&
        try(toset(s.Resource) == toset(["arn:aws:s3:::${name}", "arn:aws:s3:::${name}/*"]), false)
      ]) == 1
    ])
    error_message = "Every bucket policy must deny all S3 actions on the bucket and its objects when aws:SecureTransport is false."
  }

  # A put that names another encryption, or another KMS key, is denied (only when it names one:
  # puts without the headers get the default encryption).
  assert {
    condition = alltrue([
      for p in values(aws_s3_bucket_policy.this) :
      length([
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Deny" && s.Action == "s3:PutObject" &&
        try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption"], "") == "aws:kms" &&
        try(s.Condition.Null["s3:x-amz-server-side-encryption"], "") == "false"
      ]) == 1 &&
      length([
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Deny" && s.Action == "s3:PutObject" &&
        try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == output.kms_key_arn &&
        try(s.Condition.Null["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == "false"
      ]) == 1
    ])
    error_message = "Every zone bucket policy must deny puts that ask for another encryption than aws:kms or another key than the lake key."
  }

  assert {
    condition = alltrue([
      for p in values(aws_s3_bucket_policy.this) :
      length([for s in jsondecode(p.policy).Statement : s if s.Effect == "Allow"]) == 0
    ])
    error_message = "The zone bucket policies only deny; access is granted by IAM policies."
  }

  # The log bucket accepts server access logs from the zone buckets of this account only.
  assert {
    condition = length([
      for s in jsondecode(aws_s3_bucket_policy.logs.policy).Statement : s
      if s.Effect == "Allow" && s.Principal == { Service = "logging.s3.amazonaws.com" } &&
      try(toset(s.Condition.ArnLike["aws:SourceArn"]), null) == toset([for name in values(output.bucket_names) : "arn:aws:s3:::${name}"]) &&
      try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"
    ]) == 1
    error_message = "The log bucket must let logging.s3.amazonaws.com write for this account's zone buckets only."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement :
      s.Principal != "*" && try(s.Principal.AWS, "") != "*"
    ])
    error_message = "The key policy must not grant anything to a wildcard principal."
  }
}

run "lifecycle_rules_follow_the_variables" {
  command = plan

  variables {
    raw_transition_to_ia_days          = 45
    raw_transition_to_glacier_ir_days  = 120
    noncurrent_version_expiration_days = 14
    staging_expiration_days            = 3
    query_results_expiration_days      = 2
    abort_incomplete_multipart_days    = 1
  }

  assert {
    condition = alltrue([
      for lc in values(aws_s3_bucket_lifecycle_configuration.this) :
      [
        for r in [for r in lc.rule : r if r.id == "housekeeping"] :
        [r.status, r.abort_incomplete_multipart_upload[0].days_after_initiation, r.noncurrent_version_expiration[0].noncurrent_days]
      ] == [["Enabled", 1, 14]]
    ])
    error_message = "Every zone bucket must abort incomplete multipart uploads and expire noncurrent versions after the configured days."
  }

  assert {
    condition = [
      for r in aws_s3_bucket_lifecycle_configuration.this["raw"].rule : {
        for t in r.transition : t.storage_class => t.days
      } if r.id == "raw-to-cheaper-storage"
    ] == [{ STANDARD_IA = 45, GLACIER_IR = 120 }]
    error_message = "raw must move to STANDARD_IA, then GLACIER_IR, after the configured days."
  }

  assert {
    condition = alltrue([
      for zone in ["processed", "curated"] :
      [
        for r in [for r in aws_s3_bucket_lifecycle_configuration.this[zone].rule : r if r.id == "expire-staging"] :
        [r.filter[0].prefix, r.expiration[0].days]
      ] == [["staging/", 3]]
    ])
    error_message = "staging/ in processed and curated must expire after staging_expiration_days."
  }

  assert {
    condition = [
      for r in [for r in aws_s3_bucket_lifecycle_configuration.this["query_results"].rule : r if r.id == "expire-query-results"] :
      r.expiration[0].days
    ] == [2]
    error_message = "Query results must expire after query_results_expiration_days."
  }

  assert {
    condition = alltrue([
      for zone in ["raw", "quarantine", "reports", "artifacts"] :
      length([for r in aws_s3_bucket_lifecycle_configuration.this[zone].rule : r if r.id == "expire-staging" || r.id == "expire-query-results"]) == 0
    ])
    error_message = "Only processed/curated staging/ and query results may expire: raw, quarantine, reports and artifacts are kept."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.logs.rule : r.expiration[0].days]) == 90
    error_message = "Access logs must expire after access_log_retention_days."
  }
}

run "raw_can_stay_in_standard_ia" {
  command = plan

  variables {
    raw_transition_to_glacier_ir_days = null
    name_prefix                       = "acme-ecom"
    environment                       = "prod"
  }

  assert {
    condition = [
      for r in aws_s3_bucket_lifecycle_configuration.this["raw"].rule : [for t in r.transition : t.storage_class]
      if r.id == "raw-to-cheaper-storage"
    ] == [["STANDARD_IA"]]
    error_message = "With raw_transition_to_glacier_ir_days = null, raw must only move to STANDARD_IA."
  }

  assert {
    condition     = output.raw_bucket_name == "acme-ecom-raw-prod" && aws_s3_bucket.logs.bucket == "acme-ecom-access-logs-prod"
    error_message = "The bucket names must follow name_prefix and environment."
  }
}

run "standard_ia_before_30_days_is_refused" {
  command = plan

  variables {
    raw_transition_to_ia_days = 10
  }

  expect_failures = [var.raw_transition_to_ia_days]
}

run "glacier_ir_too_soon_after_standard_ia_is_refused" {
  command = plan

  variables {
    raw_transition_to_ia_days         = 60
    raw_transition_to_glacier_ir_days = 75
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

run "names_that_could_make_a_bucket_name_over_63_characters_are_refused" {
  command = plan

  variables {
    name_prefix = "ecom-pipeline-analytics-eu-west-1"
    environment = "production-blue-green"
  }

  expect_failures = [var.name_prefix, var.environment]
}

run "a_name_prefix_with_uppercase_is_refused" {
  command = plan

  variables {
    name_prefix = "Ecom-Pipeline"
  }

  expect_failures = [var.name_prefix]
}
