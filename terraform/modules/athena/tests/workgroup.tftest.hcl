# Offline: `terraform test` with a mocked AWS provider, plan only (make lint-infra runs it
# from this module's directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc).

mock_provider "aws" {}

variables {
  workgroup_name            = "ecom-pipeline-analytics-dev"
  database_name             = "ecom_pipeline_dev"
  query_results_bucket_name = "ecom-pipeline-query-results-dev"
  kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
}

run "the_workgroup_enforces_cutoff_encryption_and_engine" {
  command = plan

  variables {
    bytes_scanned_cutoff_per_query = 1073741824
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 1073741824 && output.bytes_scanned_cutoff_per_query == var.bytes_scanned_cutoff_per_query
    error_message = "The workgroup's bytes-scanned cutoff per query must equal bytes_scanned_cutoff_per_query."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration == true
    error_message = "The workgroup configuration must be enforced: otherwise a client can drop the cutoff or the encryption."
  }

  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://ecom-pipeline-query-results-dev/ecom-pipeline-analytics-dev/" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "Results must go to the query-results bucket, encrypted with SSE_KMS and the given key."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3"
    error_message = "The workgroup must select Athena engine version 3 (Trino), the dialect of sql/."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].publish_cloudwatch_metrics_enabled == true && aws_athena_workgroup.this.state == "ENABLED"
    error_message = "The workgroup must be enabled and publish its CloudWatch metrics (the monitoring module alarms on ProcessedBytes)."
  }

  assert {
    condition     = aws_athena_workgroup.this.tags["Name"] == var.workgroup_name
    error_message = "The workgroup must always have tags (moto cannot read a workgroup without them)."
  }

  assert {
    condition     = length(aws_athena_named_query.this) == 0
    error_message = "Without named_queries no named query is created."
  }
}

run "every_sql_file_becomes_a_named_query" {
  command = plan

  # What the environment roots pass (README): one named query per sql/*.sql file.
  variables {
    named_queries = {
      for f in fileset("../../../sql", "*.sql") : trimsuffix(f, ".sql") => file("../../../sql/${f}")
    }
  }

  assert {
    condition     = length(fileset("../../../sql", "*.sql")) > 0 && toset(keys(aws_athena_named_query.this)) == toset([for f in fileset("../../../sql", "*.sql") : trimsuffix(f, ".sql")])
    error_message = "There must be exactly one named query per sql/*.sql file, named after the file."
  }

  assert {
    condition = alltrue([
      for name, q in aws_athena_named_query.this :
      q.database == var.database_name && q.name == name && startswith(q.query, "-- question:")
    ])
    error_message = "Each named query must hold its file's SQL text (header included), in database_name."
  }

  assert {
    condition = alltrue([
      for name, q in aws_athena_named_query.this :
      length(regexall("\\bcurated\\.", q.query)) == 0 && strcontains(q.query, "from ${var.database_name}.")
    ])
    error_message = "Named queries must read the environment's curated database, not the local 'curated.' schema."
  }

  assert {
    condition = alltrue([
      for name, q in aws_athena_named_query.this :
      length(regexall("[^:A-Za-z0-9_]:[A-Za-z_]", q.query)) == 0
    ])
    error_message = "Named queries must use Athena's positional ? parameters, not :name placeholders."
  }

  assert {
    condition     = strcontains(aws_athena_named_query.this["revenue_by_category"].query, "date_add('day', 1 - ?, current_date)")
    error_message = "A :name placeholder must become ? in place."
  }

  assert {
    condition     = startswith(aws_athena_named_query.this["top_products"].description, "Which products earned the most revenue from completed sales in the last N days, overall or within one category?")
    error_message = "A named query's description must be its file's '-- question:' header lines."
  }

  assert {
    condition     = alltrue([for q in values(aws_athena_named_query.this) : length(q.description) > 0 && length(q.description) <= 1024])
    error_message = "Every description must be 1-1024 characters (Athena's limit)."
  }
}

run "a_query_without_a_question_header_gets_a_default_description" {
  command = plan

  variables {
    named_queries = { adhoc = "select 1" }
  }

  assert {
    condition     = aws_athena_named_query.this["adhoc"].description == "Named query adhoc (sql/adhoc.sql)."
    error_message = "A query without '-- question:' lines must get the default description."
  }
}

run "a_cutoff_below_athenas_minimum_is_refused" {
  command = plan

  variables {
    bytes_scanned_cutoff_per_query = 1048576
  }

  expect_failures = [var.bytes_scanned_cutoff_per_query]
}

run "engine_version_2_is_refused" {
  command = plan

  variables {
    engine_version = "Athena engine version 2"
  }

  expect_failures = [var.engine_version]
}

run "a_key_alias_is_refused" {
  command = plan

  variables {
    kms_key_arn = "alias/ecom-pipeline-data-lake-dev"
  }

  expect_failures = [var.kms_key_arn]
}

run "an_empty_query_is_refused" {
  command = plan

  variables {
    named_queries = { empty = "  \n" }
  }

  expect_failures = [var.named_queries]
}
