"""Logs as one JSON object per line, for the log collectors of a production deployment."""

import datetime
import logging

import orjson

logger = logging.getLogger("conflictdata.requests")


class JSONFormatter(logging.Formatter):
    """Format a record as a JSON line: time, level, logger, message, and the fields passed in `extra`."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()
