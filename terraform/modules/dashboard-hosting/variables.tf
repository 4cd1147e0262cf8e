variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): bucket <name_prefix>-dashboard-<account id>, API <name_prefix>-analytics-api, CloudFront policies <name_prefix>-dashboard[-security-headers]."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

# --- the bucket -----------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the dashboard bucket. null: <name_prefix>-dashboard-<account id> (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.bucket_name, "x")))
    error_message = "bucket_name must be null or an S3 bucket name (3-63 lowercase letters, digits, '.' and '-')."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (every object is rebuilt from dashboard/ by a deploy). false: destroy fails while files are there."
  type        = bool
  default     = false
}

variable "noncurrent_version_days" {
  description = "Days a replaced dashboard file is kept (versioning), to roll a bad deploy back."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && floor(var.noncurrent_version_days) == var.noncurrent_version_days
    error_message = "noncurrent_version_days must be a whole number of days, at least 1."
  }
}

variable "s3_access_log_bucket" {
  description = "Bucket that receives the dashboard bucket's S3 server access logs (prefix s3/<bucket>/). null: no server access logs."
  type        = string
  default     = null
}

# --- CloudFront -----------------------------------------------------------------------------------

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America and Europe edges, the cheapest), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "aliases" {
  description = "Custom domain names of the dashboard (CNAMEs), e.g. [\"analytics.example.com\"]; they need acm_certificate_arn. The first one is the dashboard URL and the API's allowed origin. []: the *.cloudfront.net name."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.aliases : can(regex("^[a-z0-9*][a-z0-9.-]*[a-z0-9]$", a))])
    error_message = "aliases must be domain names."
  }
}

variable "acm_certificate_arn" {
  description = "ARN of an ACM certificate in us-east-1 covering the aliases: served with SNI and TLSv1.2_2021 as the minimum protocol. null: CloudFront's default certificate."
  type        = string
  default     = null

  validation {
    condition     = var.acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]+$", coalesce(var.acm_certificate_arn, "x")))
    error_message = "acm_certificate_arn must be null or an ACM certificate ARN in us-east-1 (CloudFront's region for certificates)."
  }
}

variable "web_acl_arn" {
  description = "ARN of a WAFv2 web ACL (scope CLOUDFRONT) to attach. null: none (see README for why it is off by default)."
  type        = string
  default     = null
}

variable "cloudfront_log_bucket" {
  description = "Domain name of a bucket for CloudFront standard access logs, e.g. \"my-logs.s3.amazonaws.com\" (the bucket must allow ACLs). null: no access logs."
  type        = string
  default     = null

  validation {
    condition     = var.cloudfront_log_bucket == null || can(regex("\\.s3(\\.[a-z0-9-]+)?\\.amazonaws\\.com$", coalesce(var.cloudfront_log_bucket, "x")))
    error_message = "cloudfront_log_bucket must be null or a bucket domain name such as my-logs.s3.amazonaws.com."
  }
}

variable "geo_restriction_locations" {
  description = "ISO 3166-1 alpha-2 country codes allowed to load the dashboard. []: no geographic restriction."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.geo_restriction_locations : can(regex("^[A-Z]{2}$", c))])
    error_message = "geo_restriction_locations must be two-letter uppercase country codes."
  }
}

variable "default_ttl_seconds" {
  description = "How long CloudFront caches a dashboard file without Cache-Control (0-86400). Short, so a deploy shows within minutes without an invalidation."
  type        = number
  default     = 300

  validation {
    condition     = var.default_ttl_seconds >= 0 && var.default_ttl_seconds <= 86400
    error_message = "default_ttl_seconds must be from 0 to 86400."
  }
}

variable "hsts_max_age_seconds" {
  description = "Strict-Transport-Security max-age (default two years)."
  type        = number
  default     = 63072000

  validation {
    condition     = var.hsts_max_age_seconds >= 86400
    error_message = "hsts_max_age_seconds must be at least one day (86400)."
  }
}

variable "hsts_preload" {
  description = "Add `preload` to Strict-Transport-Security: only for a custom domain you intend to submit to the browsers' preload list."
  type        = bool
  default     = false
}

variable "csp_connect_sources" {
  description = "Origins the page may fetch besides its own and the API's (the CSP's connect-src), e.g. the reports bucket's address when config.js's reportsBase is another site. Never \"*\"."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.csp_connect_sources : can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", s))])
    error_message = "csp_connect_sources must be https:// origins (scheme://host[:port]), without wildcards or paths."
  }
}

# --- the API --------------------------------------------------------------------------------------

variable "api_function_arn" {
  description = "ARN of the api_handler Lambda function (lambda-processors' function_arns[\"api_handler\"]), the HTTP API's Lambda proxy integration. Its name and qualifier for the invoke permission are taken from the ARN."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", var.api_function_arn))
    error_message = "api_function_arn must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])."
  }
}

variable "api_throttling_burst_limit" {
  description = "Requests the API accepts in a burst across all routes of the stage (API Gateway token bucket). The dashboard sends about a dozen requests per page load."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number from 1 to 5000."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second the API accepts across all routes of the stage; above it API Gateway answers 429 without invoking the function or Athena."
  type        = number
  default     = 10

  validation {
    condition     = var.api_throttling_rate_limit > 0 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be above 0 and at most 10000 requests per second."
  }
}

variable "jwt_issuer" {
  description = "Issuer URL of a JWT authorizer (e.g. a Cognito user pool, https://cognito-idp.<region>.amazonaws.com/<pool id>) that then guards GET and HEAD. null (default): no authorizer, a public read-only API."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_issuer == null || can(regex("^https://", coalesce(var.jwt_issuer, "x")))
    error_message = "jwt_issuer must be null or an https:// issuer URL."
  }
}

variable "jwt_audience" {
  description = "Audiences (client ids) the JWT authorizer accepts; required with jwt_issuer."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the API's access log group. Its key policy must allow logs.<region>.amazonaws.com (see README)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "log_retention_days" {
  description = "Days to keep the API's access logs (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
