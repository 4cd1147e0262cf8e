# Offline: `terraform test` with a mocked AWS provider, plan only. Run from this module's
# directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc (providers from the mirror).
# override_during needs Terraform >= 1.11.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

# Attributes AWS assigns, made known at plan time so the policies that hold them can be
# checked in a plan.
override_resource {
  target          = aws_cloudfront_distribution.this
  override_during = plan
  values = {
    arn         = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
    domain_name = "d111111abcdef8.cloudfront.net"
    id          = "E2QWRUHAPOMQZL"
  }
}

override_resource {
  target          = aws_apigatewayv2_api.this
  override_during = plan
  values = {
    id            = "a1b2c3d4e5"
    api_endpoint  = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
}

override_resource {
  target          = aws_s3_bucket.this
  override_during = plan
  values = {
    arn                         = "arn:aws:s3:::ecom-dev-dashboard-123456789012"
    id                          = "ecom-dev-dashboard-123456789012"
    bucket_regional_domain_name = "ecom-dev-dashboard-123456789012.s3.eu-west-1.amazonaws.com"
  }
}

override_resource {
  target          = aws_cloudfront_origin_access_control.this
  override_during = plan
  values = {
    id = "E1OACEXAMPLE01"
  }
}

override_resource {
  target          = aws_cloudwatch_log_group.api_access
  override_during = plan
  values = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/ecom-dev-analytics-api"
  }
}

variables {
  name_prefix      = "ecom-dev"
  api_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ecom-dev-api-handler"
  kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
}

run "a_private_bucket_that_only_the_distribution_reads" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "ecom-dev-dashboard-123456789012"
    error_message = "The bucket is <name_prefix>-dashboard-<account id> by default."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "Every public access block setting must be on."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "AES256" && aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The bucket must encrypt at rest (SSE-S3) with ACLs disabled."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Allow" && s.Principal == { Service = "cloudfront.amazonaws.com" } && s.Action == "s3:GetObject"
      && s.Resource == "arn:aws:s3:::ecom-dev-dashboard-123456789012/*"
      && s.Condition == { StringEquals = { "AWS:SourceArn" = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL" } }
    ])
    error_message = "The bucket policy must let this distribution (aws:SourceArn) read objects."
  }

  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Effect == "Allow"]) == 1
    error_message = "The distribution must be the only principal allowed by the bucket policy."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Action == "s3:*" && s.Condition == { Bool = { "aws:SecureTransport" = "false" } }
    ])
    error_message = "The bucket policy must deny every request that is not TLS."
  }
}

run "cloudfront_serves_https_only_with_security_headers" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https" && aws_cloudfront_distribution.this.default_root_object == "index.html"
    error_message = "Viewers must be redirected to HTTPS, and / must serve index.html."
  }

  assert {
    condition = (
      aws_cloudfront_origin_access_control.this.signing_protocol == "sigv4" && aws_cloudfront_origin_access_control.this.signing_behavior == "always" &&
      aws_cloudfront_origin_access_control.this.origin_access_control_origin_type == "s3" &&
      one(aws_cloudfront_distribution.this.origin).origin_access_control_id == "E1OACEXAMPLE01" &&
      one(aws_cloudfront_distribution.this.origin).domain_name == "ecom-dev-dashboard-123456789012.s3.eu-west-1.amazonaws.com"
    )
    error_message = "The bucket origin must be reached through the origin access control (SigV4, always signed)."
  }

  assert {
    condition     = aws_cloudfront_distribution.this.viewer_certificate[0].cloudfront_default_certificate && aws_cloudfront_distribution.this.viewer_certificate[0].acm_certificate_arn == null
    error_message = "Without a certificate the default CloudFront certificate is used."
  }

  assert {
    condition = (
      aws_cloudfront_response_headers_policy.this.security_headers_config[0].strict_transport_security[0].access_control_max_age_sec == 63072000 &&
      aws_cloudfront_response_headers_policy.this.security_headers_config[0].content_type_options[0].override &&
      aws_cloudfront_response_headers_policy.this.security_headers_config[0].frame_options[0].frame_option == "DENY" &&
      aws_cloudfront_response_headers_policy.this.security_headers_config[0].referrer_policy[0].referrer_policy == "same-origin"
    )
    error_message = "HSTS, nosniff, X-Frame-Options DENY and the referrer policy must be sent."
  }

  assert {
    condition = (
      strcontains(output.content_security_policy, "connect-src 'self' https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com;") &&
      strcontains(output.content_security_policy, "script-src 'self';") &&
      strcontains(output.content_security_policy, "default-src 'none'") &&
      !strcontains(output.content_security_policy, "unsafe-") && !strcontains(output.content_security_policy, "*")
    )
    error_message = "The CSP must allow only the site itself and the API origin (no CDN, no inline code, no wildcard)."
  }

  assert {
    condition     = aws_cloudfront_response_headers_policy.this.security_headers_config[0].content_security_policy[0].content_security_policy == output.content_security_policy
    error_message = "The distribution's response headers policy must carry the CSP."
  }
}

run "the_api_is_an_http_api_limited_to_the_dashboard" {
  command = plan

  assert {
    condition     = output.api_allowed_origin == "https://d111111abcdef8.cloudfront.net" && output.dashboard_url == "https://d111111abcdef8.cloudfront.net/"
    error_message = "The API's allowed CORS origin must be the CloudFront domain of the dashboard, nothing else."
  }

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP" && length(aws_apigatewayv2_api.this.cors_configuration) == 0
    error_message = "An HTTP API; CORS is answered by the function (ALLOWED_ORIGIN), never a gateway-wide rule."
  }

  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["GET /analytics", "HEAD /analytics", "OPTIONS /analytics", "GET /health", "HEAD /health", "OPTIONS /health"])
    error_message = "Routes must be exactly the API's paths and methods (pipeline_lib/api/_app.py)."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.this.integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.this.payload_format_version == "2.0" &&
      aws_apigatewayv2_integration.this.integration_uri == var.api_function_arn
    )
    error_message = "The routes must proxy to api_handler with payload format 2.0."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.this.name == "$default" && aws_apigatewayv2_stage.this.auto_deploy &&
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 50 &&
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 10 &&
      aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/ecom-dev-analytics-api"
    )
    error_message = "The stage must throttle (burst/rate variables) and write access logs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.api_access.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.api_access.retention_in_days == 365
    error_message = "The access logs must be KMS-encrypted and kept for the retention."
  }

  assert {
    condition     = length(aws_apigatewayv2_authorizer.jwt) == 0 && alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "NONE"])
    error_message = "The JWT authorizer is off by default."
  }

  assert {
    condition = (
      aws_lambda_permission.api.function_name == "ecom-dev-api-handler" && aws_lambda_permission.api.principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*"
    )
    error_message = "API Gateway may invoke api_handler for this API only."
  }
}

run "a_custom_domain_with_a_certificate_and_a_jwt_authorizer" {
  command = plan

  variables {
    aliases                    = ["analytics.example.com"]
    acm_certificate_arn        = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    jwt_issuer                 = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
    jwt_audience               = ["dashboard-client"]
    api_throttling_burst_limit = 20
    api_throttling_rate_limit  = 5
  }

  assert {
    condition = (
      aws_cloudfront_distribution.this.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" &&
      aws_cloudfront_distribution.this.viewer_certificate[0].ssl_support_method == "sni-only" &&
      !aws_cloudfront_distribution.this.viewer_certificate[0].cloudfront_default_certificate
    )
    error_message = "A custom certificate must be served with SNI and TLS 1.2 (2021 policy) at least."
  }

  assert {
    condition     = output.api_allowed_origin == "https://analytics.example.com" && output.dashboard_url == "https://analytics.example.com/"
    error_message = "With a custom domain, the dashboard URL and the API's allowed origin are that domain."
  }

  assert {
    condition = alltrue([
      for key, r in aws_apigatewayv2_route.this :
      startswith(key, "OPTIONS ") ? r.authorization_type == "NONE" : r.authorization_type == "JWT"
    ]) && one(aws_apigatewayv2_authorizer.jwt).jwt_configuration[0].issuer == var.jwt_issuer
    error_message = "With jwt_issuer, GET and HEAD need a valid JWT; preflights (OPTIONS) stay open."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 20 && aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 5
    error_message = "Throttling must follow its variables."
  }
}

run "aliases_without_a_certificate_are_refused" {
  command = plan

  variables {
    aliases = ["analytics.example.com"]
  }

  expect_failures = [aws_cloudfront_distribution.this]
}

run "a_jwt_issuer_without_audience_is_refused" {
  command = plan

  variables {
    jwt_issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
  }

  expect_failures = [aws_apigatewayv2_authorizer.jwt]
}

run "a_wildcard_connect_source_is_refused" {
  command = plan

  variables {
    csp_connect_sources = ["https://*.amazonaws.com"]
  }

  expect_failures = [var.csp_connect_sources]
}
