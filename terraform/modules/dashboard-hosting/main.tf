# The analytics dashboard on AWS: its static files (dashboard/: index.html, app.js,
# config.js, styles.css, vendor/chart.umd.js) in a private S3 bucket served only through
# CloudFront (origin access control), HTTPS only, with security headers; and the analytics
# API (pipeline_lib.api, the api_handler Lambda) on an API Gateway HTTP API.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  bucket_name = coalesce(var.bucket_name, "${var.name_prefix}-dashboard-${local.account_id}")
  origin_id   = "dashboard-s3"

  # The address users open: the first alias when a custom domain is set, else CloudFront's.
  site_host   = length(var.aliases) > 0 ? var.aliases[0] : aws_cloudfront_distribution.this.domain_name
  site_origin = "https://${local.site_host}"

  # arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
  api_function_parts     = split(":", var.api_function_arn)
  api_function_name      = local.api_function_parts[6]
  api_function_qualifier = length(local.api_function_parts) > 7 ? local.api_function_parts[7] : null

  api_origin = aws_apigatewayv2_api.this.api_endpoint # https://<id>.execute-api.<region>.amazonaws.com

  # The dashboard loads only its own files (Chart.js is vendored, no CDN, no inline script
  # or style) and fetches only its own origin and the API.
  content_security_policy = join("; ", [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:", # the favicon is a data: URL
    "font-src 'self'",
    "connect-src ${join(" ", distinct(concat(["'self'", local.api_origin], var.csp_connect_sources)))}",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "upgrade-insecure-requests",
  ])

  # The API's paths (pipeline_lib/api/_app.py: API_PATHS, METHODS). Anything else is
  # answered 404 by API Gateway without invoking (and paying for) the function. Preflight
  # requests carry no token, so OPTIONS is never behind the authorizer.
  routes = {
    "GET /analytics"     = { authorized = true }
    "HEAD /analytics"    = { authorized = true }
    "OPTIONS /analytics" = { authorized = false }
    "GET /health"        = { authorized = true }
    "HEAD /health"       = { authorized = true }
    "OPTIONS /health"    = { authorized = false }
  }
  jwt_enabled = var.jwt_issuer != null
}

# --- the bucket -----------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_145:SSE-S3, not SSE-KMS: the bucket holds the dashboard's public static files (no data), and SSE-KMS would require granting cloudfront.amazonaws.com kms:Decrypt on the pipeline's key (README, "Encryption").
  #checkov:skip=CKV_AWS_144:No cross-region replication: every object is rebuilt from dashboard/ in the repository by the deploy.
  #checkov:skip=CKV2_AWS_62:No event notifications: nothing reacts to a dashboard deploy.
  #checkov:skip=CKV_AWS_18:Server access logging is optional (s3_access_log_bucket); CloudFront is the only reader and has its own optional access logs.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = local.bucket_name })
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: the bucket policy alone decides
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# A bad deploy can be rolled back to the previous objects for noncurrent_version_days.
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-old-deploys"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.s3_access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.s3_access_log_bucket
  target_prefix = "s3/${local.bucket_name}/"
}

# Reads only by this distribution (OAC signs its requests; aws:SourceArn is checked), and
# nothing over plain HTTP. No s3:ListBucket: a missing file is a 403, not a listing.
resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontDistributionReadsOnly"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.this.arn}/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this.arn } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --- CloudFront -----------------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name_prefix}-dashboard"
  description                       = "CloudFront reads the ${local.bucket_name} bucket with SigV4-signed requests."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# Short default TTL: a deploy shows within minutes even without an invalidation.
resource "aws_cloudfront_cache_policy" "this" {
  name        = "${var.name_prefix}-dashboard"
  comment     = "Static dashboard files: no cookies, headers or query strings in the key."
  min_ttl     = 0
  default_ttl = var.default_ttl_seconds
  max_ttl     = 86400

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true

    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "this" {
  #checkov:skip=CKV_AWS_259:HSTS is sent (2 years, includeSubDomains, override); only `preload` is off by default, a commitment a custom domain's owner makes by submitting it to the browsers' preload list (hsts_preload = true). It means nothing for *.cloudfront.net.
  name    = "${var.name_prefix}-dashboard-security-headers"
  comment = "HSTS, nosniff, no framing, same-origin referrer, a CSP allowing only the site and its API."

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = var.hsts_max_age_seconds
      include_subdomains         = true
      preload                    = var.hsts_preload
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "same-origin"
      override        = true
    }

    # The legacy XSS auditor is off ("0"), as current browsers and OWASP advise; the CSP
    # is the protection.
    xss_protection {
      protection = false
      override   = true
    }

    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
      override = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:No WAF by default: a web ACL costs about $6 a month, a third of the stack's $20 budget, for static files and a throttled read-only API; set web_acl_arn to attach one.
  #checkov:skip=CKV2_AWS_47:No WAF by default (see CKV_AWS_68); web_acl_arn attaches one with the managed rule groups of your choice.
  #checkov:skip=CKV_AWS_86:Access logging is optional (cloudfront_log_bucket): standard logs need an ACL-enabled log bucket the environment provides.
  #checkov:skip=CKV_AWS_174:With CloudFront's default certificate the minimum protocol cannot be set; with acm_certificate_arn it is TLSv1.2_2021.
  #checkov:skip=CKV2_AWS_42:A custom certificate is optional (acm_certificate_arn with aliases); the default *.cloudfront.net certificate serves HTTPS otherwise.
  #checkov:skip=CKV_AWS_310:One origin: the bucket is regional and rebuilt from the repository; an origin group adds a second bucket for no data at risk.
  #checkov:skip=CKV_AWS_374:No geo restriction by default (geo_restriction_locations sets an allow list).
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  comment             = "${var.name_prefix} analytics dashboard"
  default_root_object = "index.html"
  price_class         = var.price_class
  aliases             = var.aliases
  web_acl_id          = var.web_acl_arn

  origin {
    origin_id                = local.origin_id
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.this.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  restrictions {
    geo_restriction {
      restriction_type = length(var.geo_restriction_locations) == 0 ? "none" : "whitelist"
      locations        = var.geo_restriction_locations
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? null : "TLSv1.2_2021"
  }

  dynamic "logging_config" {
    for_each = var.cloudfront_log_bucket == null ? [] : [var.cloudfront_log_bucket]
    content {
      bucket          = logging_config.value
      prefix          = "cloudfront/${var.name_prefix}-dashboard/"
      include_cookies = false
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(var.aliases) == 0 || var.acm_certificate_arn != null
      error_message = "aliases need acm_certificate_arn: a certificate in us-east-1 that covers them."
    }
  }
}

# --- the analytics API ------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  name          = "${var.name_prefix}-analytics-api"
  description   = "The dashboard's analytics API (pipeline_lib.api): GET /analytics?query=NAME and GET /health."
  protocol_type = "HTTP"

  # CORS is answered by the function itself, from ALLOWED_ORIGIN = the api_allowed_origin
  # output (pipeline_lib/api/_lambda.py). API Gateway's cors_configuration would need the
  # distribution's domain here while the distribution's CSP needs this API's endpoint: a
  # dependency cycle (README, "CORS").

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name_prefix}-analytics-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  description            = "Lambda proxy to api_handler (payload format 2.0)."
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.api_function_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = local.jwt_enabled ? 1 : 0

  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name_prefix}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }

  lifecycle {
    precondition {
      condition     = length(var.jwt_audience) > 0
      error_message = "jwt_audience must name at least one audience (client id) when jwt_issuer is set."
    }
  }
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  #checkov:skip=CKV_AWS_309:The analytics API is a public read-only API by default (whitelisted named queries, throttled); jwt_issuer puts GET/HEAD behind a JWT authorizer. OPTIONS preflights never carry a token.
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = local.jwt_enabled && each.value.authorized ? "JWT" : "NONE"
  authorizer_id      = local.jwt_enabled && each.value.authorized ? aws_apigatewayv2_authorizer.jwt[0].id : null
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default" # no stage in the path: /analytics, as the dashboard calls it
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit   = var.api_throttling_burst_limit
    throttling_rate_limit    = var.api_throttling_rate_limit
    detailed_metrics_enabled = false
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
    })
  }

  tags = var.tags
}

# API Gateway may invoke api_handler for this API's routes only.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowAnalyticsHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = local.api_function_name
  qualifier     = local.api_function_qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
