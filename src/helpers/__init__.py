"""Helpers for the link worker evaluation book: data contract, validation,
synthetic data, analysis and the build pipeline."""

__version__ = "0.1.0"
