"""tfinit-audit: the initializer each TF/Keras weight really gets, per release, with evidence."""

from tfinit_audit._version import __version__

__all__ = ["__version__"]
