"""Request parsers: DRF's, with the inputs they would turn into a 500 answered as 400."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """JSON, refusing nesting deeper than Python's recursion limit (a 500 from json.loads otherwise)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
