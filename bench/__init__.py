"""Benchmarks and the data generator they use (``python -m bench.<name> --help``)."""
