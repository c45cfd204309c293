"""The package version: a leaf module, so modules that record it (load, discover) need not import the package
`faers`, whose lazy `Database` attribute imports them in turn."""

__version__ = "0.1.0"
