"""Log lines the operators can grep: a refused request is one line, a crash keeps its traceback.

Django logs every 4xx response it builds from an exception (``PermissionDenied``, ``Http404``,
``SuspiciousOperation``, a CSRF failure) with the exception attached, so the default formatter
prints a traceback for each refused click. ``OneLineFormatter`` drops it when the record is a
refusal: a response status below 500 (``status_code``, set by ``django.utils.log.log_response``)
or a ``django.security.*`` record; the exception's class ends the line instead. Server errors
(5xx) and every other record are formatted as usual, traceback included, except a 503 for a
lost database connection (``portal.views.server_error``): an outage is one line per request,
naming the error, not a traceback per click.
"""

import logging

from django.db import InterfaceError, OperationalError


def is_refusal(record: logging.LogRecord) -> bool:
    status = getattr(record, "status_code", None)
    if isinstance(status, int):
        return status < 500 or (status == 503 and _database_unavailable(record))
    return record.name.startswith("django.security.")


def _database_unavailable(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return isinstance(error, (OperationalError, InterfaceError))


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if not is_refusal(record):
            return super().format(record)
        line = logging.makeLogRecord(record.__dict__)
        line.msg = " ".join(record.getMessage().split())
        line.args = None
        if record.exc_info and record.exc_info[0] is not None:
            line.msg += f" ({record.exc_info[0].__name__}"
            if _database_unavailable(record):
                line.msg += ": " + " ".join(str(record.exc_info[1]).split())
            line.msg += ")"
        line.exc_info = None
        line.exc_text = None
        line.stack_info = None
        return super().format(line)
