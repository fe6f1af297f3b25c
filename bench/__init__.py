"""Benchmarks: the Dongguan-scale data generator (bench.generate), the load run (bench.run), the
operation mix they share with tests/test_statement_counts.py (bench.mix), the hand-written SQL
floor (bench.floor) and the PostGraphile peer (bench.peer). See bench/README.md."""
