"""pyfn benchmarks against the real peers: ``python bench/run.py`` (see ``bench/results.md``)."""
