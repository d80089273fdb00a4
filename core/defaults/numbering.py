"""Built-in plugin: case numbers from ``JIEFEN_CASE_NUMBER_FORMAT``."""

from typing import Any

from core import hookimpl
from core.settings import get_settings


@hookimpl
def case_number(prefix: str, year: int, seq: int, case: dict[str, Any]) -> str:
    return get_settings().case_number_format.format(prefix=prefix, year=year, seq=seq)
