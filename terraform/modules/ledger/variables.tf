variable "name_prefix" {
  description = "Prefix of every name this module creates (e.g. \"ecom-prod\"): tables <name_prefix>-ingestion-ledger and <name_prefix>-run-lock."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts both tables (SSE-KMS). Whoever applies needs kms:CreateGrant and kms:DescribeKey on it; readers and writers of the tables need no KMS permission (DynamoDB uses its grant)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "point_in_time_recovery" {
  description = "Continuous backups (point-in-time recovery, 35 days) of both tables. Losing the ledger would make every raw file look new again."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on both tables: `terraform destroy` fails until it is set to false and applied. Keep true in staging and prod; a throwaway dev stack (or the moto test apply) sets false."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
