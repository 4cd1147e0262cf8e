variable "aws_region" {
  description = "Region of the state bucket (the environments' backend.hcl `region`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as eu-west-1."
  }
}

variable "project" {
  description = "First part of the bucket name <project>-tfstate-<account id> and of the key alias."
  type        = string
  default     = "ecom-pipeline"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be 2-32 lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days an old state version is kept (every apply writes a new one): the window to roll a broken state back."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted state key waits before it is gone (7-30): every state version is unreadable without it."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be from 7 to 30."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with every state in it. Only for a throwaway account (or a test server)."
  type        = bool
  default     = false
}
