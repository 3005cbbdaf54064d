"""The book's studies, one module each on top of :mod:`qmlr.engine`; the registry lists them all."""
