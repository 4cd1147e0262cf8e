"""An independent benchmark of the data quality audit: real-feed faults, three shops.

``shops`` builds three differently shaped shops (our generator's, the second sample
shop's garden store at a daily volume, and a Nordic store with its own ids, words,
currency and file formats) as daily feeds whose order statuses settle over days;
``faults`` holds the fault kinds, written from what goes wrong in real feeds;
``harness`` prepares each shop's lake (a backfill and a week of daily runs through the
real pipeline), injects one fault into the next day's delivery, runs the pipeline on it
and records what the audit said. ``benchmarks/bench_quality.py`` is the command.
"""
