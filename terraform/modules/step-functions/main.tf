# The pipeline's Step Functions state machine. Its definition is state-machine.json, the
# same file the local executor runs (`ecom-pipeline run`); Terraform only fills the
# ${name} placeholders with the ARNs and names of the resources below.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name = "${var.name_prefix}-pipeline"

  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Built from the name, not from the resource, so the role's trust policy can name it
  # without a dependency cycle.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.name}"

  glue_job_arns = [
    for name in values(var.glue_job_names) :
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:job/${name}"
  ]

  # Every ${name} placeholder of state-machine.json, and nothing else
  # (tests/terraform/test_step_functions_module.py checks both ways).
  definition_variables = {
    file_validator_arn          = var.lambda_function_arns["file_validator"]
    data_quality_check_arn      = var.lambda_function_arns["data_quality_check"]
    publish_curated_arn         = var.lambda_function_arns["publish_curated"]
    refresh_athena_tables_arn   = var.lambda_function_arns["refresh_athena_tables"]
    run_summary_arn             = var.lambda_function_arns["run_summary"]
    transaction_etl_job         = var.glue_job_names["transaction_etl"]
    product_enrichment_job      = var.glue_job_names["product_enrichment"]
    clickstream_aggregation_job = var.glue_job_names["clickstream_aggregation"]
    reviews_etl_job             = var.glue_job_names["reviews_etl"]
    master_data_merge_job       = var.glue_job_names["master_data_merge"]
    data_quality_job            = var.glue_job_names["data_quality"]
    notification_topic_arn      = var.notification_topic_arn
  }
}

# --- execution logs -----------------------------------------------------------------------

# /aws/vendedlogs/ keeps the Logs resource policy that Step Functions writes small.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- IAM role of the state machine ----------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "StepFunctionsAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    # Only this account's state machine of this name may use the role (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn]
    }
  }
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "InvokePipelineLambdas"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = sort(distinct(values(var.lambda_function_arns)))
  }

  # glue:startJobRun.sync starts the run, polls it, and stops it when the execution stops.
  statement {
    sid    = "RunPipelineGlueJobs"
    effect = "Allow"
    actions = [
      "glue:StartJobRun",
      "glue:GetJobRun",
      "glue:GetJobRuns",
      "glue:BatchStopJobRun",
    ]
    resources = sort(distinct(local.glue_job_arns))
  }

  statement {
    sid       = "PublishRunNotifications"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.notification_topic_arn]
  }

  dynamic "statement" {
    for_each = var.notification_topic_kms_key_arn == null ? [] : [var.notification_topic_kms_key_arn]
    content {
      sid       = "EncryptNotificationsForTheTopic"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.region}.amazonaws.com"]
      }
    }
  }

  # Log delivery for logging_configuration. These actions do not support resource-level
  # permissions, so AWS documents Resource "*" for them; the actions themselves are named.
  statement {
    sid    = "DeliverExecutionLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # X-Ray tracing (tracing_configuration); these actions have no resource-level permissions.
  statement {
    sid    = "WriteXRayTraces"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name               = "${local.name}-sfn"
  description        = "Runs the ${local.name} state machine: its Lambdas, Glue jobs and SNS topic."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.name}-sfn"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# --- state machine ----------------------------------------------------------------------------

resource "aws_sfn_state_machine" "this" {
  name     = local.name
  type     = "STANDARD"
  role_arn = aws_iam_role.this.arn

  definition = templatefile("${path.module}/state-machine.json", local.definition_variables)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  # Step Functions checks at creation that the role may deliver logs.
  depends_on = [aws_iam_role_policy.this]
}
