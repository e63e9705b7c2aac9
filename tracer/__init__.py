"""Runs: a topology under a workload on a Celery worker, its traces stored, its stream live."""
