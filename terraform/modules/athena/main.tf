# The Athena side of the query engine: one workgroup whose settings every query must use
# (enforced), with a bytes-scanned cutoff per query, results encrypted with the lake's KMS key
# in the query-results bucket, Athena engine version 3 and CloudWatch metrics; and the named
# queries of sql/, saved in the workgroup with the text of their files made runnable there.

locals {
  output_location = "s3://${var.query_results_bucket_name}/${var.workgroup_name}/"

  # The "-- question:" header lines of a sql/ file (STYLE.md: a header comment saying what
  # business question it answers) become the named query's description (1024 characters at most).
  named_query_descriptions = {
    for name, sql in var.named_queries : name => substr(
      coalesce(
        join(" ", [for line in regexall("(?m)^--\\s*question:\\s*(.*?)\\s*$", sql) : line[0]]),
        "Named query ${name} (sql/${name}.sql).",
      ),
      0,
      1024,
    )
  }

  # The files name tables by zone (curated.transactions: a schema of the local DuckDB
  # catalog) and bind :name placeholders; Athena has one database per zone and environment
  # and positional ? execution parameters (the console asks for them in order). The Python
  # engine makes the same two changes with sqlglot (pipeline_lib/query/_athena.py).
  named_query_texts = {
    for name, sql in var.named_queries : name => replace(
      replace(sql, "/\\bcurated\\./", "${var.database_name}."),
      "/(^|[^:A-Za-z0-9_]):[A-Za-z_][A-Za-z0-9_]*/",
      "$${1}?",
    )
  }
}

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Pipeline and dashboard queries: enforced settings, ${var.bytes_scanned_cutoff_per_query} bytes scanned at most per query, SSE-KMS results."
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    # Clients cannot override the result location, encryption or cutoff below.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query
    requester_pays_enabled             = false

    engine_version {
      selected_engine_version = var.engine_version
    }

    result_configuration {
      output_location = local.output_location

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  # Never empty: the provider reads the workgroup's tags after creating it, and a workgroup
  # without tags fails that read on the moto server (AWS-EMULATION.md).
  tags = merge({ Name = var.workgroup_name }, var.tags)
}

resource "aws_athena_named_query" "this" {
  for_each = var.named_queries

  name        = each.key
  description = local.named_query_descriptions[each.key]
  workgroup   = aws_athena_workgroup.this.id
  database    = var.database_name
  query       = local.named_query_texts[each.key]
}
