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
# A plugin's own catalogue (its ``locale/``), consulted first for that plugin's ``_()``.
_domain_dirs: dict[str, list[Path]] = {}


def add_catalogue_dir(directory: Path, domain: str | None = None) -> None:
    """Add an area's catalogue to the shared one. With ``domain`` (a plugin's name) it is that
    plugin's own catalogue: first for the plugin's ``_()`` (:func:`dgettext`), and only a
    fallback for everyone else's, so a plugin's "Phone" never changes the admin's."""
    if domain is None:
        if directory not in _catalogue_dirs:
            _catalogue_dirs.append(directory)
    elif directory not in _domain_dirs.setdefault(domain, []):
        _domain_dirs[domain].append(directory)
    translations.cache_clear()
    domain_translations.cache_clear()


def _load(directory: Path, locale: str) -> Translations | None:
    """Compile one ``messages.po`` with Babel (in memory: the .po is the only file kept)."""
    po_path = directory / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return None
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


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
        loaded = _load(directory, locale)
        if loaded is None:
            continue
        if merged is None:
            merged = loaded
        else:
            merged.merge(loaded)
    merged = merged or NullTranslations()
    # Plugins' catalogues answer only what the core's do not (their labels, notification texts).
    for directories in _domain_dirs.values():
        for directory in directories:
            loaded = _load(directory, locale)
            if loaded is not None:
                merged.add_fallback(loaded)
    return merged


@lru_cache(maxsize=64)
def domain_translations(domain: str, locale: str) -> NullTranslations:
    """A plugin's catalogue first, then the shared one (core labels and messages)."""
    own: NullTranslations | None = None
    for directory in _domain_dirs.get(domain, []):
        loaded = _load(directory, locale)
        if loaded is None:
            continue
        if own is None:
            own = loaded
        else:
            own.merge(loaded)
    if own is None:
        return translations(locale)
    # Not add_fallback: that would chain onto the shared object's own fallbacks.
    own._fallback = translations(locale)  # noqa: SLF001
    return own


def dgettext(domain: str, message: str, locale: str | None = None, **params: object) -> str:
    """``gettext`` through a plugin's own catalogue (``domain`` is the plugin's name)."""
    text = domain_translations(domain, normalise(locale)).gettext(message)
    return text.format(**_render_params(params, locale)) if params else text


def dpgettext(domain: str, context: str, message: str, locale: str | None = None, **params: object) -> str:
    """``dgettext`` with a context: a document's words ("Name" on a letter) kept apart from the
    same English ids on the plugin's pages, whose translations may differ."""
    text = domain_translations(domain, normalise(locale)).pgettext(context, message)
    return text.format(**_render_params(params, locale)) if params else text


class Lazy:
    """A message translated where it is shown, not where it is made: a reason that travels
    inside an error's params (``Conflict(..., reason=Lazy("Same phone number as a party."))``)
    comes out in the reader's language with the message around it."""

    __slots__ = ("message", "params")

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params

    def render(self, locale: str | None = None) -> str:
        return gettext(self.message, locale, **self.params)

    def __str__(self) -> str:
        return self.render()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lazy) and (self.message, self.params) == (other.message, other.params)

    def __hash__(self) -> int:
        return hash(self.message)


class LazyList(tuple):
    """Several lazy messages, joined in the reader's language (；in Chinese, ; in English)."""

    def render(self, locale: str | None = None) -> str:
        sep = "; " if normalise(locale) == "en" else "；"
        return sep.join(item.render(locale) if isinstance(item, Lazy) else str(item) for item in self)

    def __str__(self) -> str:
        return self.render()


def _render_params(params: dict[str, object], locale: str | None) -> dict[str, object]:
    return {k: v.render(locale) if isinstance(v, (Lazy, LazyList)) else v for k, v in params.items()}


def gettext(message: str, locale: str | None = None, **params: object) -> str:
    text = translations(normalise(locale)).gettext(message)
    return text.format(**_render_params(params, locale)) if params else text


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
