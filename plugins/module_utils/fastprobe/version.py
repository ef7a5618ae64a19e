"""The fastprobe version, kept in one place for the package, the CLI and the cache."""

__version__ = "0.1.0"
