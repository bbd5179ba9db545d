"""Python tools for the .c1d format: a reader/writer (numpy only) and a PyTorch exporter."""

from .format import FormatError, Model, dumps, load, save

__all__ = ["FormatError", "Model", "dumps", "load", "save", "export", "to_model", "UnsupportedOperation",
           "ExportCheckError", "CheckSkipped"]


def __getattr__(name):
    # The exporter needs torch; the format does not.
    if name in ("export", "to_model", "UnsupportedOperation", "ExportCheckError", "CheckSkipped"):
        from . import exporter as _exporter

        return getattr(_exporter, name)
    raise AttributeError(name)
