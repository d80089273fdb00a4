"""Translations from gettext catalogues (``core/locale/<locale>/LC_MESSAGES/messages.po``).

Message ids are English sentences; domain labels (states, events, roles …) use a context,
e.g. ``pgettext("state", "submitted")`` → 已受理 … as in ``shared/glossary.md``.
Plugins add catalogues of their own with :func:`add_catalogue_dir`.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_catalogue_dirs: list[Path] = [Path(__file__).parent / "locale"]


def add_catalogue_dir(directory: Path) -> None:
    if directory not in _catalogue_dirs:
        _catalogue_dirs.append(directory)
        translations.cache_clear()


def normalise(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    low = locale.replace("-", "_").lower()
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    merged: NullTranslations | None = None
    for directory in _catalogue_dirs:
        po_path = directory / locale / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded = Translations(fp=buffer)
        if merged is None:
            merged = loaded
        else:
            merged.merge(loaded)
    return merged or NullTranslations()


def gettext(message: str, locale: str | None = None, **params: object) -> str:
    text = translations(normalise(locale)).gettext(message)
    return text.format(**params) if params else text


def pgettext(context: str, message: str, locale: str | None = None) -> str:
    return translations(normalise(locale)).pgettext(context, message)


def label(kind: str, code: str | None, locale: str | None = None) -> str:
    """A domain label: ``label("state", "in_mediation")`` → 调解中."""
    if not code:
        return ""
    return pgettext(kind, code, locale)


def negotiate(query_lang: str | None, cookie_lang: str | None, user_locale: str | None, accept_language: str | None) -> str:
    """The first that says something wins: ?lang=, the cookie (the admin's switch), the
    request's Accept-Language, then the user's stored preference."""
    for choice in (query_lang, cookie_lang):
        if choice:
            return normalise(choice)
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip()
            if tag.lower().startswith(("en", "zh")):
                return normalise(tag)
    return normalise(user_locale)
