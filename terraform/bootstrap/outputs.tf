output "state_bucket" {
  description = "The state bucket: `bucket` of the environments' backend configuration."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket (for the IAM policies of the roles that run Terraform)."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "The state key: `kms_key_id` of the backend configuration (the roles that run Terraform need kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on it)."
  value       = aws_kms_key.state.arn
}

output "region" {
  description = "Region of the state bucket: `region` of the backend configuration."
  value       = var.aws_region
}

output "backend_config" {
  description = "terraform/environments/backend.hcl, filled in: `terraform output -raw backend_config > ../environments/backend.hcl`."
  value       = <<-EOT
    bucket     = "${aws_s3_bucket.state.id}"
    region     = "${var.aws_region}"
    kms_key_id = "${aws_kms_key.state.arn}"
  EOT
}
