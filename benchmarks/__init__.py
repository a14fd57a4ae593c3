"""llmbench's performance benchmarks: `python benchmarks/run.py [--quick] [--skip SECTION ...]` -> RESULTS.md."""
