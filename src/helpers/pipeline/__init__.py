"""Execution pipeline: plan notebook jobs, skip unchanged ones, run the rest in parallel."""
