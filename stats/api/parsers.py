"""Request bodies read by orjson, which refuses nesting deeper than 1,024 levels instead of exhausting the stack."""

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ORJSONParser(JSONParser):
    """JSON bodies as DRF reads them, parsed by orjson: a body nested too deep is a 400, never a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return orjson.loads(stream.read())
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
