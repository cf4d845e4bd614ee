"""
Database triggers that log every consultation write for the incremental aggregates.

Triggers rather than signals, because bulk upserts, queryset updates and deletes
and raw SQL all bypass signals. PostgreSQL uses statement-level triggers with
transition tables, so a bulk write logs its rows in one set-based insert; SQLite, the
embedded default, has only row-level triggers. TRUNCATE is not logged: after one, run
a full rebuild.
"""

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from .models import CHANGE_COLUMNS

SOURCE = "consultations_consultation"
TARGET = "analytics_consultationchange"
EVENTS = ("insert", "update", "delete")


def _columns(prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column}" for column in CHANGE_COLUMNS)


def _postgresql_body(event: str) -> str:
    insert = f"INSERT INTO {TARGET} (sign, {_columns()})"
    if event == "insert":
        return f"{insert} SELECT 1, {_columns()} FROM new_rows;"
    if event == "delete":
        return f"{insert} SELECT -1, {_columns()} FROM old_rows;"
    changed = (
        f"FROM old_rows o JOIN new_rows n ON n.id = o.id "
        f"WHERE ({_columns('o.')}) IS DISTINCT FROM ({_columns('n.')})"
    )
    return (
        f"{insert} SELECT -1, {_columns('o.')} {changed} "
        f"UNION ALL SELECT 1, {_columns('n.')} {changed};"
    )


def _postgresql_statements(event: str) -> list[str]:
    transition = {
        "insert": "NEW TABLE AS new_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
    }[event]
    function = _name(event)
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {_postgresql_body(event)} RETURN NULL; END $$;",
        f"CREATE TRIGGER {function} AFTER {event.upper()} ON {SOURCE} "
        f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
    ]


def _sqlite_statements(event: str) -> list[str]:
    def log(sign: int, row: str) -> str:
        return (
            f"INSERT INTO {TARGET} (sign, {_columns()}) "
            f"VALUES ({sign}, {_columns(row + '.')});"
        )

    name = _name(event)
    if event == "insert":
        return [
            f"CREATE TRIGGER {name} AFTER INSERT ON {SOURCE} BEGIN {log(1, 'NEW')} END;"
        ]
    if event == "delete":
        return [
            f"CREATE TRIGGER {name} AFTER DELETE ON {SOURCE} "
            f"BEGIN {log(-1, 'OLD')} END;"
        ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CHANGE_COLUMNS)
    return [
        f"CREATE TRIGGER {name} AFTER UPDATE ON {SOURCE} WHEN {changed} "
        f"BEGIN {log(-1, 'OLD')} {log(1, 'NEW')} END;"
    ]


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create the change-logging triggers for the connection's database."""
    for event in EVENTS:
        for statement in _statements(schema_editor.connection.vendor, event):
            schema_editor.execute(statement)


def install_missing(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    """
    Create whichever change-logging triggers are missing; return their events.

    SQLite drops a table's triggers whenever a migration rebuilds the table (most
    field alterations do), so a migration of consultations can silently stop the
    logging; writes made since then were not logged.
    """
    if connection.vendor == "postgresql":
        present = (
            "SELECT tgname FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal"
        )
    else:
        present = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(present, [SOURCE])
        names = {row[0] for row in cursor.fetchall()}
        missing = tuple(event for event in EVENTS if _name(event) not in names)
        for event in missing:
            for statement in _statements(connection.vendor, event):
                cursor.execute(statement)
    return missing


def _statements(vendor: str, event: str) -> list[str]:
    builders = {"postgresql": _postgresql_statements, "sqlite": _sqlite_statements}
    if vendor not in builders:
        raise NotImplementedError(f"No change triggers for the {vendor} database.")
    return builders[vendor](event)


def _name(event: str) -> str:
    return f"analytics_log_consultation_{event}"


def restore_after_table_rebuild(
    apps: object, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    """
    A migration step: reinstall the triggers that SQLite dropped when a migration
    of consultations rebuilt the table. No write happens between the two.
    """
    install_missing(schema_editor.connection)


def uninstall(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Drop the change-logging triggers."""
    vendor = schema_editor.connection.vendor
    for event in EVENTS:
        name = _name(event)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {SOURCE};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
