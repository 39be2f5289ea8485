"""Saving the same fields of many rows in one statement, without Django's `bulk_update`.

`bulk_update` writes `SET field = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ... END` for each
field, and builds every branch as an expression object in Python first: for a thousand rows
and a dozen fields that is twelve thousand expressions, and costs more than the database's
work. Here each row is one line of a VALUES list with typed parameters, joined on the key.
"""

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model


def rows_update(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Writes `fields` of every object (all of one model, saved before) in one UPDATE, as
    `bulk_update(objects, fields)` would; returns how many rows it changed."""
    if not objects:
        return 0
    model = type(objects[0])
    meta = model._meta
    connection = connections[objects[0]._state.db or "default"]
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    casts = [f"%s::{field.cast_db_type(connection)}" for field in columns]
    line = "(" + ", ".join(casts) + ")"
    params = []
    for obj in objects:
        for field in columns:
            value = getattr(obj, field.attname)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"rows_update saves values, not expressions ({field.name})")
            params.append(field.get_db_prep_save(value, connection))
    # Names come from the model's metadata; every value is a parameter.
    names = [quote(field.column) for field in columns]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    values = ", ".join([line] * len(objects))
    key = names[0]
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {values}) AS v({', '.join(names)}) WHERE t.{key} = v.{key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
