"""
Ingestion of consultation records: validation, reference resolution and bulk upsert.

Every entry point (the REST API, the import command and its format adapters) goes
through `ingest`, so that a record is judged and stored the same way however it
arrives.
"""

from .records import RECORD_KEYS, as_record
from .results import IngestResult, Rejection
from .service import ingest, ingest_chunks

__all__ = [
    "RECORD_KEYS",
    "IngestResult",
    "Rejection",
    "as_record",
    "ingest",
    "ingest_chunks",
]
