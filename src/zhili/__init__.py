"""zhili (治理): an open-source platform for municipal social governance."""

__version__ = "0.1.0"
