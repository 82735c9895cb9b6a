"""Renderers: JSON written by orjson, and CSV passed through as the export streams it."""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


class ORJSONRenderer(renderers.JSONRenderer):
    """The JSON of DRF's JSONRenderer (times in UTC with `Z`, dates as YYYY-MM-DD), written several times faster.

    A time without a time zone is written as UTC, the zone every time is stored in.
    Types orjson does not know (lazy translations, decimals) go through DRF's own encoder.
    """

    fallback = JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        option = OPTIONS | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(data, default=self.fallback, option=option)


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else data  # a 304 has no body
