"""The converters: each turns one version of an origin's file into rows in the export's CSV columns (see feeds.py)."""
