"""The chapters' analysis: verdicts, tables and figures from the studies' records."""
