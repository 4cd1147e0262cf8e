"""Orchestration: the state machine run locally, its history, triggers and notifications.

``asl`` loads and checks the Step Functions definition, ``executor`` runs it,
``local_resources`` says what its tasks are on a laptop, ``pipeline`` is one run
(``ecom-pipeline run``), ``audit_step`` its quality audit of the staged tables before
publish, ``history`` the runs' records, ``notify`` the notifiers,
``watch`` and ``schedule`` the local triggers, ``notebooks`` the papermill runner.

Import from the modules themselves: importing this package loads nothing else (a Lambda
that needs the run history must not load papermill).
"""
