"""The tool's version.

A leaf module: ``tfinit_audit/__init__.py`` (the public API) re-exports it, and modules inside
the package import it from here, so nothing inside depends on the package's front door.
"""

__version__ = "0.1.0"
