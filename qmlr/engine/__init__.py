"""The engine: the machinery every study shares (specs, profiles, the sealed store, claims and
sessions, the runner and its Dask backend, CPU fingerprints, recompute agreement); it knows no
study."""
