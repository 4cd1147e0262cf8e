# State in S3 (the bucket of terraform/bootstrap), encrypted, locked with an S3 lock file
# (use_lockfile: Terraform >= 1.10, no DynamoDB table). The bucket, its region and the KMS key
# come from a partial configuration, because the bucket is per account:
#
#   terraform init -backend-config=../backend.hcl
#
# with ../backend.hcl made from ../backend.hcl.example (or `terraform -chdir=terraform/bootstrap
# output -raw backend_config`). The key is the environment's own.
terraform {
  backend "s3" {
    key          = "ecom-pipeline/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
