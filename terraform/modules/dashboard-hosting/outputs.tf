output "dashboard_url" {
  description = "The dashboard's address: https://<first alias or CloudFront domain>/."
  value       = "${local.site_origin}/"
}

output "api_allowed_origin" {
  description = "The dashboard's origin (https://<host>, no trailing slash): pass it to lambda-processors' api_allowed_origin, which becomes api_handler's ALLOWED_ORIGIN, the only origin its CORS answers name."
  value       = local.site_origin
}

output "distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations after a deploy)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution (the bucket policy's aws:SourceArn)."
  value       = aws_cloudfront_distribution.this.arn
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net domain name (target of the aliases' DNS records)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "bucket_name" {
  description = "Name of the private bucket to upload dashboard/ to (index.html at the root)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the dashboard bucket."
  value       = aws_s3_bucket.this.arn
}

output "api_endpoint" {
  description = "The analytics API's base URL (https://<id>.execute-api.<region>.amazonaws.com): config.js's apiBase."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API (the ApiId dimension of its CloudWatch metrics)."
  value       = aws_apigatewayv2_api.this.id
}

output "api_access_log_group_name" {
  description = "CloudWatch log group of the API's access logs."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "content_security_policy" {
  description = "The Content-Security-Policy header the distribution sends."
  value       = local.content_security_policy
}
