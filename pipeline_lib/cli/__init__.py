"""The ``ecom-pipeline`` command line."""
