"""qmlr: a from-scratch, reproducible rebuild of Chen & Zhang (arXiv:2508.02422).

Poisoning resilience and unlearning of classical MLPs and quantum neural networks, as a small
typed library under a Jupyter Book.
"""

__version__ = "0.1.0"
