# staging: the last stop before prod, at prod's shape with shorter retention. Not destroyable
# by accident (buckets must be emptied first, tables are protected).
# The release (package_version, package_s3_key, package_sha256, artifacts_prefix) is set by
# deploy-pipeline as TF_VAR_*; bucket names, the Athena workgroup, its per-query cutoff
# (10 GiB) and the daily schedule come from params/staging.yaml.

aws_region  = "eu-west-1"
environment = "staging"

# The AWS SDK for pandas layer of the region, for awswrangler 3.17.1 (requirements/constraints.txt):
# take the AWSSDKPandas-Python312 x86_64 ARN from aws-sdk-pandas.readthedocs.io/en/stable/layers.html.
# lambda_layer_arns = ["arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:<version>"]

# Sizes: the module defaults (prod's), except a smaller API reservation.
lambda_functions = {
  api_handler = { reserved_concurrency = 5 }
}
glue_jobs            = {}
glue_timeout_minutes = 60

# Retention and protection.
force_destroy                      = false
deletion_protection                = true
point_in_time_recovery             = true # cents a month; checkov CKV_AWS_28
kms_key_deletion_window_days       = 30
raw_transition_to_ia_days          = 30
raw_transition_to_glacier_ir_days  = 90
noncurrent_version_expiration_days = 14
staging_expiration_days            = 7
query_results_expiration_days      = 7
access_log_retention_days          = 90
log_retention_days                 = 365 # checkov CKV_AWS_338: a year of logs; tiny at this volume

# Alarms.
alarm_email_subscriptions        = []
freshness_threshold_hours        = 30
alarm_period_seconds             = 300
failed_executions_threshold      = 1
lambda_errors_threshold          = 3
dead_letter_queue_threshold      = 1
athena_processed_bytes_threshold = 21474836480 # 20 GiB an hour, about $0.10

# Dashboard.
cloudfront_price_class     = "PriceClass_100"
api_throttling_burst_limit = 50
api_throttling_rate_limit  = 10
