output "bucket_names" {
  description = "Bucket name per zone: raw, processed, curated, quarantine, reports, query_results, artifacts."
  value       = { for zone, bucket in aws_s3_bucket.this : zone => bucket.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per zone: raw, processed, curated, quarantine, reports, query_results, artifacts."
  value       = { for zone, bucket in aws_s3_bucket.this : zone => bucket.arn }
}

output "raw_bucket_name" {
  description = "Name of the raw zone (landed files; sends \"Object Created\" events to EventBridge)."
  value       = aws_s3_bucket.this["raw"].bucket
}

output "raw_bucket_arn" {
  description = "ARN of the raw zone (landed files; sends \"Object Created\" events to EventBridge)."
  value       = aws_s3_bucket.this["raw"].arn
}

output "processed_bucket_name" {
  description = "Name of the processed zone (cleaned Parquet, partitioned by date)."
  value       = aws_s3_bucket.this["processed"].bucket
}

output "processed_bucket_arn" {
  description = "ARN of the processed zone (cleaned Parquet, partitioned by date)."
  value       = aws_s3_bucket.this["processed"].arn
}

output "curated_bucket_name" {
  description = "Name of the curated zone (published, audited tables)."
  value       = aws_s3_bucket.this["curated"].bucket
}

output "curated_bucket_arn" {
  description = "ARN of the curated zone (published, audited tables)."
  value       = aws_s3_bucket.this["curated"].arn
}

output "quarantine_bucket_name" {
  description = "Name of the quarantine zone (rejected files with their .error.json)."
  value       = aws_s3_bucket.this["quarantine"].bucket
}

output "quarantine_bucket_arn" {
  description = "ARN of the quarantine zone (rejected files with their .error.json)."
  value       = aws_s3_bucket.this["quarantine"].arn
}

output "reports_bucket_name" {
  description = "Name of the reports bucket (HTML quality and analytics reports)."
  value       = aws_s3_bucket.this["reports"].bucket
}

output "reports_bucket_arn" {
  description = "ARN of the reports bucket (HTML quality and analytics reports)."
  value       = aws_s3_bucket.this["reports"].arn
}

output "query_results_bucket_name" {
  description = "Name of the Athena query-results bucket."
  value       = aws_s3_bucket.this["query_results"].bucket
}

output "query_results_bucket_arn" {
  description = "ARN of the Athena query-results bucket."
  value       = aws_s3_bucket.this["query_results"].arn
}

output "artifacts_bucket_name" {
  description = "Name of the artifacts bucket (Lambda packages, Glue scripts and wheels, notebooks)."
  value       = aws_s3_bucket.this["artifacts"].bucket
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket (Lambda packages, Glue scripts and wheels, notebooks)."
  value       = aws_s3_bucket.this["artifacts"].arn
}

output "access_log_bucket_name" {
  description = "Name of the bucket that receives the zone buckets' S3 server access logs (SSE-S3, under <bucket name>/)."
  value       = aws_s3_bucket.logs.bucket
}

output "access_log_bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = aws_s3_bucket.logs.arn
}

output "kms_key_arn" {
  description = "ARN of the customer managed KMS key (rotation on) that encrypts the zone buckets. Pass it to the modules that read or write the lake, encrypt queues (eventbridge) or log groups (step-functions), and to the Athena workgroup."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "Key ID of the data lake KMS key."
  value       = aws_kms_key.this.key_id
}

output "kms_key_alias_name" {
  description = "Alias of the data lake KMS key: alias/<name_prefix>-data-lake-<environment>."
  value       = aws_kms_alias.this.name
}

output "kms_key_alias_arn" {
  description = "ARN of the data lake KMS key's alias."
  value       = aws_kms_alias.this.arn
}
