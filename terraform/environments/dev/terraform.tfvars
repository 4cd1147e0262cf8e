# dev: a throwaway environment for trying changes. Small, short retention, destroyable.
# The release (package_version, package_s3_key, package_sha256, artifacts_prefix) is set by
# deploy-pipeline as TF_VAR_*; bucket names, the Athena workgroup, its per-query cutoff
# (10 GiB) and the daily schedule come from params/dev.yaml.

aws_region  = "eu-west-1"
environment = "dev"

# The AWS SDK for pandas layer of the region, for awswrangler 3.17.1 (requirements/constraints.txt):
# take the AWSSDKPandas-Python312 x86_64 ARN from aws-sdk-pandas.readthedocs.io/en/stable/layers.html.
# lambda_layer_arns = ["arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:<version>"]

# Sizes: a new account's Lambda concurrency quota is 10, and AWS keeps 10 unreserved, so dev
# reserves nothing: every function the module reserves for (the two triggers, the API) runs
# from the shared pool. staging and prod keep the reservations (their accounts' quota is raised).
lambda_functions = {
  s3_trigger       = { reserved_concurrency = -1 }
  schedule_trigger = { reserved_concurrency = -1 }
  api_handler      = { reserved_concurrency = -1 }
}
glue_jobs = {
  clickstream_aggregation = { max_capacity = 0.0625 }
  master_data_merge       = { max_capacity = 0.0625 }
  data_quality            = { max_capacity = 0.0625 }
}
glue_timeout_minutes = 30

# Retention and protection: everything can go.
force_destroy                      = true
deletion_protection                = false
point_in_time_recovery             = true # cents a month; checkov CKV_AWS_28
kms_key_deletion_window_days       = 7
raw_transition_to_ia_days          = 30
raw_transition_to_glacier_ir_days  = null
noncurrent_version_expiration_days = 7
staging_expiration_days            = 3
query_results_expiration_days      = 3
access_log_retention_days          = 30
log_retention_days                 = 365 # checkov CKV_AWS_338: a year of logs; tiny at this volume

# Alarms: loose, dev breaks on purpose.
alarm_email_subscriptions        = []
freshness_threshold_hours        = 50
alarm_period_seconds             = 300
failed_executions_threshold      = 1
lambda_errors_threshold          = 5
dead_letter_queue_threshold      = 1
athena_processed_bytes_threshold = 10737418240 # 10 GiB an hour, about $0.05

# Dashboard.
cloudfront_price_class     = "PriceClass_100"
api_throttling_burst_limit = 20
api_throttling_rate_limit  = 5
