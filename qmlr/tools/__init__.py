"""Entry points: the command line, chapter execution and the book's Sphinx extension."""
