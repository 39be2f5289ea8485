"""Saving many rows in one statement, without Django's `bulk_update` and `bulk_create`.

`bulk_update` writes `SET field = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ... END` for each
field, and builds every branch as an expression object in Python first: for a thousand rows
and a dozen fields that is twelve thousand expressions, and costs more than the database's
work. Here each row is one line of a VALUES list with typed parameters, joined on the key.
A list of integers (an array column) goes as PostgreSQL's text form of the array, cast like
every value: the driver's own adaptation escapes each element of each row's array one by one.

`bulk_create` sends each column as one array (`INSERT ... SELECT * FROM UNNEST(...)`), and the
driver escapes every element of those arrays in Python: for a JSON column, every character of
every document. `rows_insert` sends one line of typed parameters per row instead.
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
            params.append(_integer_array_text(field.get_db_prep_save(value, connection)))
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


def _integer_array_text(value):
    """`[1, 2]` as "{1,2}", which the cast reads back as the same array; anything else as is."""
    if isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        return "{" + ",".join(str(int(item)) for item in value) + "}"
    return value


def rows_insert(objects: Sequence[Model]) -> list[Model]:
    """Inserts every object (all of one model, none saved yet, with an automatic key) in one
    INSERT, as `bulk_create(objects)` would, and gives each its key; returns the objects."""
    if not objects:
        return list(objects)
    model = type(objects[0])
    meta = model._meta
    alias = objects[0]._state.db or "default"
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = [field for field in meta.concrete_fields if field is not meta.pk]
    line = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in columns) + ")"
    params = []
    for obj in objects:
        for field in columns:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"rows_insert saves values, not expressions ({field.name})")
            params.append(_integer_array_text(field.get_db_prep_save(value, connection)))
    # Names come from the model's metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES {', '.join([line] * len(objects))} RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    # PostgreSQL returns the rows of a VALUES list in its order, as bulk_create relies on.
    for obj, key in zip(objects, keys, strict=True):
        setattr(obj, meta.pk.attname, key)
        obj._state.adding = False
        obj._state.db = alias
    return list(objects)
