# Offline: `terraform test` with a mocked AWS provider, plan only. Run from this module's
# directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc (providers from the mirror).

mock_provider "aws" {}

variables {
  name_prefix = "ecom-dev"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
}

run "tables_are_on_demand_encrypted_and_recoverable" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.ledger.name == "ecom-dev-ingestion-ledger" && aws_dynamodb_table.run_lock.name == "ecom-dev-run-lock"
    error_message = "Table names must follow <name_prefix>-ingestion-ledger and <name_prefix>-run-lock."
  }

  assert {
    condition     = aws_dynamodb_table.ledger.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.run_lock.billing_mode == "PAY_PER_REQUEST"
    error_message = "Both tables must be on demand (PAY_PER_REQUEST): a daily batch pays per request, not for idle capacity."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.ledger, aws_dynamodb_table.run_lock] :
      t.server_side_encryption[0].enabled && t.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    ])
    error_message = "Both tables must be encrypted with the customer managed key."
  }

  assert {
    condition     = aws_dynamodb_table.ledger.point_in_time_recovery[0].enabled && aws_dynamodb_table.run_lock.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on by default."
  }

  assert {
    condition     = aws_dynamodb_table.ledger.deletion_protection_enabled && aws_dynamodb_table.run_lock.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }
}

run "the_lock_expires_and_the_ledger_is_keyed_by_content" {
  command = plan

  assert {
    condition     = one(aws_dynamodb_table.run_lock.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.run_lock.ttl).enabled
    error_message = "The run-lock table must expire items through the TTL attribute expires_at."
  }

  assert {
    condition     = aws_dynamodb_table.run_lock.hash_key == "lock_id" && aws_dynamodb_table.run_lock.range_key == null
    error_message = "The run lock is one item per lock_id."
  }

  assert {
    condition     = aws_dynamodb_table.ledger.hash_key == "sha256" && aws_dynamodb_table.ledger.range_key == "sk"
    error_message = "The ledger must be keyed by the content's SHA-256 (and sk: the file item and its events)."
  }

  assert {
    condition     = toset([for i in aws_dynamodb_table.ledger.global_secondary_index : i.name]) == toset(["dataset-ingested_at", "source_path"])
    error_message = "The ledger needs its two indexes: dataset-ingested_at and source_path."
  }
}

run "a_throwaway_stack_can_turn_protection_off" {
  command = plan

  variables {
    deletion_protection    = false
    point_in_time_recovery = false
  }

  assert {
    condition     = !aws_dynamodb_table.ledger.deletion_protection_enabled && !aws_dynamodb_table.run_lock.point_in_time_recovery[0].enabled
    error_message = "deletion_protection and point_in_time_recovery must follow their variables."
  }
}

run "an_alias_is_not_a_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/ecom-dev"
  }

  expect_failures = [var.kms_key_arn]
}
