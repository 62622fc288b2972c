"""The speed benchmarks of ``benchmarks/run.py``, one module per benchmark."""
