"""What every step of a run shares, below the orchestration and the handlers that run it:
the run's execution history and record (:mod:`.history`), its notifications
(:mod:`.notify`) and the notebook runner (:mod:`.notebooks`, papermill). Only storage and
the exceptions lie below; the local executor, the Lambda handlers, the Glue job runner and
the analytics reports all use these the same way.
"""
