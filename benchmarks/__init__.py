"""Speed benchmarks, outside the library: ratios against baselines run in the same process."""
