"""Data and assets: product table, SOP texts, icons, style sheet."""
