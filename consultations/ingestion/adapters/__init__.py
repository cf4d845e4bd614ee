"""Import formats for `manage.py import_consultations`, in one registry."""

from . import anonymous_bank, delimited, json_lines
from .base import (
    ADAPTERS,
    Adapter,
    FormatError,
    SourceRow,
    adapter_for_path,
    get_adapter,
    register,
)

__all__ = [
    "ADAPTERS",
    "Adapter",
    "FormatError",
    "SourceRow",
    "adapter_for_path",
    "anonymous_bank",
    "delimited",
    "get_adapter",
    "json_lines",
    "register",
]
