# Offline: `terraform test` with a mocked AWS provider, plan only. Run from this module's
# directory with TF_CLI_CONFIG_FILE=terraform/.terraformrc (providers from the mirror).
# The jobs come from the repository's notebooks/ folder (../../../notebooks from here).

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

variables {
  name_prefix           = "ecom-dev"
  environment           = "dev"
  artifacts_bucket_name = "ecom-pipeline-artifacts-dev"
  artifacts_prefix      = "glue/0.1.0"
  package_version       = "0.1.0"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/0b7e3a3c-1111-2222-3333-444455556666"
  ledger_table_arn      = "arn:aws:dynamodb:eu-west-1:123456789012:table/ecom-dev-ingestion-ledger"
  bucket_names = {
    raw        = "ecom-pipeline-raw-dev"
    processed  = "ecom-pipeline-processed-dev"
    curated    = "ecom-pipeline-curated-dev"
    quarantine = "ecom-pipeline-quarantine-dev"
    reports    = "ecom-pipeline-reports-dev"
    artifacts  = "ecom-pipeline-artifacts-dev" # s3-data-lake's bucket_names, as is
  }
}

run "one_python_shell_job_per_notebook_of_the_repository" {
  command = plan

  assert {
    # Exactly the glue_job_names keys the step-functions module requires.
    condition     = toset(keys(aws_glue_job.this)) == toset(["transaction_etl", "product_enrichment", "clickstream_aggregation", "reviews_etl", "master_data_merge", "data_quality"])
    error_message = "The jobs must be the notebooks of notebooks/etl and notebooks/quality, the six the state machine runs."
  }

  assert {
    # The runner resolves --notebook against PIPELINE_NOTEBOOKS_DIR, the notebooks/ folder of
    # the unpacked resources.zip (the repository's notebooks/ here), never the repository root.
    condition = alltrue([
      for name, job in aws_glue_job.this : (
        fileexists("../../../notebooks/${job.default_arguments["--notebook"]}") &&
        !startswith(job.default_arguments["--notebook"], "notebooks/") &&
        job.default_arguments["--notebook"] == output.notebooks[name]
      )
    ])
    error_message = "Every job's --notebook must be a notebook file relative to the notebooks folder (etl/transaction_etl.py), as the runner resolves it."
  }

  assert {
    condition     = aws_glue_job.this["transaction_etl"].name == "ecom-dev-transaction-etl" && aws_glue_job.this["transaction_etl"].default_arguments["--notebook"] == "etl/transaction_etl.py"
    error_message = "Job names are <name_prefix>-<notebook with - for _>."
  }

  assert {
    condition = alltrue([
      for job in aws_glue_job.this :
      job.command[0].name == "pythonshell" && job.command[0].python_version == "3.9" && job.glue_version == "3.0"
      && job.command[0].script_location == "s3://ecom-pipeline-artifacts-dev/glue/0.1.0/glue_runner.py"
      && job.execution_class == "STANDARD" && job.security_configuration == aws_glue_security_configuration.this.name
    ])
    error_message = "Every job is a Python 3.9 shell job running the packaged runner, STANDARD class, with the security configuration."
  }

  assert {
    condition = alltrue([
      for job in aws_glue_job.this :
      startswith(job.default_arguments["--additional-python-modules"], "s3://ecom-pipeline-artifacts-dev/glue/0.1.0/ecom_pipeline-0.1.0-py3-none-any.whl")
      && job.default_arguments["--env"] == "dev" && job.default_arguments["library-set"] == "analytics"
      && job.default_arguments["--params_uri"] == "s3://ecom-pipeline-artifacts-dev/glue/0.1.0/params/dev.yaml"
      && job.default_arguments["--enable-continuous-cloudwatch-log"] == "true"
      && job.default_arguments["--PIPELINE_LEDGER_TABLE"] == "ecom-dev-ingestion-ledger"
    ])
    error_message = "Every job installs the wheel and gets --notebook, --env, --params_uri and the deployment settings."
  }

  assert {
    # Without additional_python_modules every job installs the Glue lock (the set make
    # test-glue tests the package with): one `name==version` per hashed pin of glue.txt.
    condition = alltrue([
      for job in aws_glue_job.this : (
        length(split(",", job.default_arguments["--additional-python-modules"])) == 1 + length(regexall("--hash=sha256:", file("../../../requirements/glue.txt")))
        && alltrue([for m in slice(split(",", job.default_arguments["--additional-python-modules"]), 1, length(split(",", job.default_arguments["--additional-python-modules"]))) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][^ ,\\\\]*$", m))])
        && contains(split(",", job.default_arguments["--additional-python-modules"]), "pandas==${regex("(?m)^pandas==([^ ]+)", file("../../../requirements/glue.txt"))[0]}")
      )
    ])
    error_message = "By default --additional-python-modules is the wheel then every pin of requirements/glue.txt, without hashes."
  }

  assert {
    condition = (
      aws_glue_job.this["transaction_etl"].max_capacity == 0.0625 && aws_glue_job.this["reviews_etl"].max_capacity == 0.0625 &&
      aws_glue_job.this["clickstream_aggregation"].max_capacity == 1 && aws_glue_job.this["master_data_merge"].max_capacity == 1 &&
      aws_glue_job.this["data_quality"].max_capacity == 1
    )
    error_message = "1/16 DPU by default, 1 DPU for the heavy notebooks."
  }

  assert {
    condition     = alltrue([for job in aws_glue_job.this : job.timeout == 60 && job.max_retries == 1 && job.execution_property[0].max_concurrent_runs == 1])
    error_message = "Default timeout 60 minutes, 1 retry, one run of a job at a time."
  }
}

run "catalog_and_security_configuration" {
  command = plan

  assert {
    condition     = output.database_names == { raw = "ecom_dev_raw", processed = "ecom_dev_processed", curated = "ecom_dev_curated" }
    error_message = "Databases are <name_prefix with _>_<zone>."
  }

  assert {
    condition = (
      aws_glue_security_configuration.this.encryption_configuration[0].s3_encryption[0].s3_encryption_mode == "SSE-KMS" &&
      aws_glue_security_configuration.this.encryption_configuration[0].s3_encryption[0].kms_key_arn == var.kms_key_arn &&
      aws_glue_security_configuration.this.encryption_configuration[0].cloudwatch_encryption[0].cloudwatch_encryption_mode == "SSE-KMS" &&
      aws_glue_security_configuration.this.encryption_configuration[0].job_bookmarks_encryption[0].job_bookmarks_encryption_mode == "CSE-KMS"
    )
    error_message = "The security configuration must encrypt S3 (SSE-KMS), CloudWatch Logs (SSE-KMS) and bookmarks (CSE-KMS) with the key."
  }
}

run "least_privilege_roles" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.job.policy).Statement : [
        for action in flatten([s.Action]) : action != "*" && !endswith(action, ":*")
      ]
    ]))
    error_message = "No statement may allow Action \"*\" or a whole service."
  }

  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.job.policy).Statement : s.Resource]), "*")
    error_message = "No statement of the jobs' role needs Resource \"*\"."
  }

  assert {
    condition     = length([for r in flatten([for s in jsondecode(aws_iam_role_policy.job.policy).Statement : s.Resource]) : r if startswith(r, "arn:aws:s3:::ecom-pipeline-raw-dev")]) == 0
    error_message = "The jobs read validated copies, never the raw zone."
  }

  assert {
    condition     = contains(flatten([for s in jsondecode(aws_iam_role_policy.job.policy).Statement : s.Resource if s.Sid == "ReadRunnerWheelAndParams"]), "arn:aws:s3:::ecom-pipeline-artifacts-dev/glue/0.1.0/*")
    error_message = "The jobs read the artifacts of their release prefix."
  }

  assert {
    condition = alltrue([
      for r in flatten([for s in jsondecode(aws_iam_role_policy.job.policy).Statement : s.Resource if startswith(s.Sid, "Write") && s.Sid != "WriteGlueLogs" && s.Sid != "WriteZoneObjects"]) :
      !strcontains(r, ":database/ecom_dev_raw") && !strcontains(r, ":table/ecom_dev_raw/")
    ])
    error_message = "The jobs write the processed and curated catalog databases only."
  }

  assert {
    condition     = jsondecode(aws_iam_role.job.assume_role_policy).Statement[0].Principal.Service == "glue.amazonaws.com" && jsondecode(aws_iam_role.job.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Only Glue, for this account, may assume the job role."
  }
}

run "new_notebooks_become_jobs_and_overrides_apply" {
  command = plan

  variables {
    notebooks_dir   = "tests/fixtures/notebooks"
    database_prefix = ""
    jobs = {
      orders_etl = { max_capacity = 1, timeout_minutes = 30, max_retries = 0 }
    }
    additional_python_modules = ["papermill==2.6.0"]
  }

  assert {
    condition     = toset(keys(aws_glue_job.this)) == toset(["orders_etl"])
    error_message = "Only notebooks of ingestion/, etl/, quality/ not starting with _ are jobs."
  }

  assert {
    condition     = fileexists("tests/fixtures/notebooks/${aws_glue_job.this["orders_etl"].default_arguments["--notebook"]}")
    error_message = "--notebook is relative to notebooks_dir."
  }

  assert {
    condition     = aws_glue_job.this["orders_etl"].max_capacity == 1 && aws_glue_job.this["orders_etl"].timeout == 30 && aws_glue_job.this["orders_etl"].max_retries == 0
    error_message = "A job's override must apply."
  }

  assert {
    condition     = aws_glue_job.this["orders_etl"].default_arguments["--additional-python-modules"] == "s3://ecom-pipeline-artifacts-dev/glue/0.1.0/ecom_pipeline-0.1.0-py3-none-any.whl,papermill==2.6.0"
    error_message = "The Glue pin set follows the wheel in --additional-python-modules."
  }

  assert {
    condition     = output.database_names == { raw = "raw", processed = "processed", curated = "curated" }
    error_message = "An empty database_prefix gives the bare zone names."
  }
}

run "a_dpu_python_shell_refuses_is_refused" {
  command = plan

  variables {
    jobs = { transaction_etl = { max_capacity = 0.5 } }
  }

  expect_failures = [var.jobs]
}

run "a_folder_without_notebooks_is_refused" {
  command = plan

  variables {
    notebooks_dir = "tests"
  }

  expect_failures = [var.notebooks_dir]
}
