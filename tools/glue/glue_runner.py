"""The script of every Glue Python shell job: run the notebook its arguments name.

Glue installs the package wheel (``--additional-python-modules``) and runs this file; the
work is in :mod:`pipeline_lib.orchestration.glue_job`, where it is tested.
"""

import sys

from pipeline_lib.orchestration.glue_job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
