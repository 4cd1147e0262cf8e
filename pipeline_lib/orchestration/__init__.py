"""Orchestration: the state machine run locally, and its triggers.

``asl`` loads and checks the Step Functions definition, ``executor`` runs it,
``local_resources`` says what its tasks are on a laptop, ``pipeline`` is one run
(``ecom-pipeline run``), ``audit_step`` its quality audit of the staged tables before
publish, ``glue_job`` the Glue jobs' runner, ``watch`` and ``schedule`` the local
triggers. The run's history, notifications and the papermill runner, which the handlers
and the analytics reports use too, live below in :mod:`pipeline_lib.execution`.

Import from the modules themselves: importing this package loads nothing else (a Lambda
that needs the run history must not load papermill).
"""
