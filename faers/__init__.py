"""faers — FDA Adverse Event Reporting System: download, load, deduplicate, analyse."""

__version__ = "0.1.0"
