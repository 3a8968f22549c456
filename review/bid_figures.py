"""The database triggers that keep ``review.models.BidReviewFigures`` up to date.

Each bid's row is recomputed, by one statement, from its assignments and its submitted
reviews with a total, whenever a review or an assignment of the bid is inserted, updated or
deleted; deleting the bid deletes the row. Triggers rather than signals because signals miss
``QuerySet.update``, ``bulk_create``, ``bulk_update`` and raw SQL: here no writer can forget.

- SQLite: a trigger per row (a write takes the database's one lock, so refreshes never
  interleave).
- PostgreSQL: a trigger per statement, over the statement's transition table, so a bulk load
  refreshes each bid once. Two transactions writing reviews of the same bid would each
  recompute it from a snapshot missing the other's review; the refresh therefore first takes
  a transaction-scoped advisory lock per bid (in bid order, so that two bulk writes cannot
  deadlock), and its statement, taken after the lock, sees what the previous holder committed.

Installed, filled and removed by migration ``review`` 0023; ``refresh_all`` recomputes every
row (the migration's backfill, and a repair should the triggers ever be dropped by hand).
"""

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The refresh of the bids that ``BIDS`` (a condition on ``b.id``) stands for. Constant text
# (``'submitted'`` is ``Review.Status.SUBMITTED``: a migration must not import models); the
# conditions put in its place are constants too. ``1.0 *``: SQLite stores whole totals as
# integers, whose division would be an integer division.
_REFRESH = """
INSERT INTO review_bidreviewfigures (bid_id, call_id, assignments, totals, range_of, variance)
SELECT b.id, b.call_id,
       (SELECT COUNT(*) FROM review_assignment a WHERE a.bid_id = b.id),
       COUNT(r.id),
       ROUND(CAST(MAX(r.weighted_total) - MIN(r.weighted_total) AS NUMERIC), 10),
       ROUND(CAST(
           (1.0 * COUNT(r.id) * SUM(r.weighted_total * r.weighted_total)
            - SUM(r.weighted_total) * SUM(r.weighted_total))
           / NULLIF(COUNT(r.id) * COUNT(r.id), 0) AS NUMERIC), 10)
FROM applications_bid b
LEFT JOIN review_review r
       ON r.bid_id = b.id AND r.status = 'submitted' AND r.weighted_total IS NOT NULL
WHERE BIDS
GROUP BY b.id, b.call_id
ON CONFLICT (bid_id) DO UPDATE SET
    call_id = excluded.call_id,
    assignments = excluded.assignments,
    totals = excluded.totals,
    range_of = excluded.range_of,
    variance = excluded.variance
"""


def _refresh(bids: str) -> str:
    return _REFRESH.replace("BIDS", bids)


def _fill(template: str, **parts: str) -> str:
    """``template`` with each ``<name>`` replaced by ``parts[name]`` (constant texts only)."""
    for name, text in parts.items():
        template = template.replace(f"<{name}>", text)
    return template


_TABLES = ("review_review", "review_assignment")

_SQLITE = [
    *(
        _fill(
            "CREATE TRIGGER <table>_figures_<event> AFTER <event> ON <table> BEGIN <refresh>; END",
            table=table,
            event=event,
            refresh=_refresh(f"b.id = {row}.bid_id"),
        )
        for table in _TABLES
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    ),
    # A row never changes of bid, but an update could: the old bid is refreshed too.
    *(
        _fill(
            "CREATE TRIGGER <table>_figures_MOVED AFTER UPDATE OF bid_id ON <table>"
            " BEGIN <refresh>; END",
            table=table,
            refresh=_refresh("b.id = OLD.bid_id"),
        )
        for table in _TABLES
    ),
    """CREATE TRIGGER applications_bid_figures_DELETE AFTER DELETE ON applications_bid
       BEGIN DELETE FROM review_bidreviewfigures WHERE bid_id = OLD.id; END""",
]
_SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_figures_{event}"
        for table in _TABLES
        for event in ("INSERT", "UPDATE", "DELETE", "MOVED")
    ),
    "DROP TRIGGER IF EXISTS applications_bid_figures_DELETE",
]

# The advisory locks' first key ("BF" in ASCII), the second being the bid's id.
_POSTGRESQL = [
    # ``changed``: the rows written (the deleted ones for a DELETE); ``gone``: an UPDATE's
    # rows as they were, for a row moved to another bid.
    _fill(
        """CREATE FUNCTION review_refresh_bid_figures() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                PERFORM pg_advisory_xact_lock(16966, bid_id::integer) FROM (
                    SELECT bid_id FROM changed UNION SELECT bid_id FROM gone ORDER BY bid_id
                ) AS bids;
                <refresh moved>;
            ELSE
                PERFORM pg_advisory_xact_lock(16966, bid_id::integer)
                   FROM (SELECT DISTINCT bid_id FROM changed ORDER BY bid_id) AS bids;
                <refresh>;
            END IF;
            RETURN NULL;
        END $$""",
        **{
            "refresh moved": _refresh(
                "b.id IN (SELECT bid_id FROM changed UNION SELECT bid_id FROM gone)"
            ),
            "refresh": _refresh("b.id IN (SELECT bid_id FROM changed)"),
        },
    ),
    """CREATE FUNCTION review_forget_bid_figures() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM review_bidreviewfigures WHERE bid_id IN (SELECT id FROM changed);
        RETURN NULL;
    END $$""",
    *(
        _fill(
            """CREATE TRIGGER <table>_figures_<name> AFTER <event> ON <table>
               REFERENCING <transition>
               FOR EACH STATEMENT EXECUTE FUNCTION review_refresh_bid_figures()""",
            table=table,
            name=name,
            event=event,
            transition=transition,
        )
        for table in _TABLES
        for name, event, transition in (
            ("INSERT", "INSERT", "NEW TABLE AS changed"),
            ("UPDATE", "UPDATE", "OLD TABLE AS gone NEW TABLE AS changed"),
            ("DELETE", "DELETE", "OLD TABLE AS changed"),
        )
    ),
    """CREATE TRIGGER applications_bid_figures_DELETE AFTER DELETE ON applications_bid
       REFERENCING OLD TABLE AS changed
       FOR EACH STATEMENT EXECUTE FUNCTION review_forget_bid_figures()""",
]
_POSTGRESQL_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_figures_{event} ON {table}"
        for table in _TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    "DROP TRIGGER IF EXISTS applications_bid_figures_DELETE ON applications_bid",
    "DROP FUNCTION IF EXISTS review_refresh_bid_figures()",
    "DROP FUNCTION IF EXISTS review_forget_bid_figures()",
]


def _statements(vendor: str, *, drop: bool = False) -> list[str]:
    if vendor == "sqlite":
        return _SQLITE_DROP if drop else _SQLITE
    if vendor == "postgresql":
        return _POSTGRESQL_DROP if drop else _POSTGRESQL
    raise NotImplementedError(f"No bid-figures triggers for the {vendor} database.")


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def uninstall(schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(statement)


def refresh_all(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Every bid with an assignment or a review (one statement)."""
    schema_editor.execute(_refresh("b.id IN (SELECT bid_id FROM review_assignment)"), params=None)
