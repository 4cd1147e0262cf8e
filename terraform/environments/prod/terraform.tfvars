# prod: the module defaults' sizes, long retention, protected data, tight alarms.
# The release (package_version, package_s3_key, package_sha256, artifacts_prefix) is set by
# deploy-pipeline as TF_VAR_*; bucket names, the Athena workgroup, its per-query cutoff
# (100 GiB) and the daily schedule come from params/prod.yaml.

aws_region  = "eu-west-1"
environment = "prod"

# The AWS SDK for pandas layer of the region, for awswrangler 3.17.1 (requirements/constraints.txt):
# take the AWSSDKPandas-Python312 x86_64 ARN from aws-sdk-pandas.readthedocs.io/en/stable/layers.html.
# lambda_layer_arns = ["arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:<version>"]

# Sizes: the module defaults (lambda-processors, glue-etl READMEs): 3008 MB validators, 1 DPU
# for the clickstream, merge and audit jobs, reserved concurrency 2/1/10 for the triggers and API.
lambda_functions     = {}
glue_jobs            = {}
glue_timeout_minutes = 60

# Retention and protection.
force_destroy                      = false
deletion_protection                = true
point_in_time_recovery             = true
kms_key_deletion_window_days       = 30
raw_transition_to_ia_days          = 30
raw_transition_to_glacier_ir_days  = 90
noncurrent_version_expiration_days = 30
staging_expiration_days            = 7
query_results_expiration_days      = 7
access_log_retention_days          = 365
log_retention_days                 = 365

# Alarms: the daily run publishes by about 03:30 UTC; a day and two hours without a publish is stale.
alarm_email_subscriptions        = []
freshness_threshold_hours        = 26
alarm_period_seconds             = 300
failed_executions_threshold      = 1
lambda_errors_threshold          = 1
dead_letter_queue_threshold      = 1
athena_processed_bytes_threshold = 107374182400 # 100 GiB an hour, about $0.50

# Dashboard.
cloudfront_price_class     = "PriceClass_100"
api_throttling_burst_limit = 100
api_throttling_rate_limit  = 20
