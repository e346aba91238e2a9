"""tfinit-audit: the initializer each TF/Keras weight really gets, per release, with evidence."""

__version__ = "0.1.0"
