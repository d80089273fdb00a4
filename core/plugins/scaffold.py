"""``jiefen plugins new NAME``: a plugin package whose own test passes as generated
(the ``datasette-plugin`` cookiecutter idea): an entry point, thin hooks, a table with its
migration, a route, a template and a test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from string import Template

from core.plugins.manager import NAME_PATTERN, RESERVED_NAMES

FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "jiefen-$dash"
version = "0.1.0"
description = "$name: a Jiefen plugin"
requires-python = ">=3.11"
dependencies = []  # Jiefen itself is the host; it is installed already

[project.entry-points.jiefen]
$name = "$name"

[tool.setuptools.packages.find]
include = ["$name*"]

[tool.setuptools.package-data]
"*" = ["*.html", "*.css", "*.js", "*.po"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    "README.md": """\
# jiefen-$dash

A Jiefen plugin. Install it next to Jiefen with `pip install -e .`, run `jiefen migrate`,
then turn it on for a town in the admin (a local plugin starts on everywhere).

Run its test with `pytest`.
""",
    "$name/__init__.py": '''\
"""$name: hook implementations only; each delegates to a module beside it."""

from typing import Any

from core import hookimpl
from core.plugins.host import bundled_plugin


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from $name.routes import panel

    return [await panel(case)]


# templates/, routes.py (ROUTES) and nav.py (NAV) become template_dirs, register_routes and admin_nav.
bundled_plugin(__name__)
''',
    "$name/nav.py": '''\
"""$name's entry in the admin's navigation (hook admin_nav): shown to these roles where it is on."""

NAV = [{"key": "notes", "label": "$name", "url": "/admin/plugins/$name/notes", "roles": ["mediator", "supervisor"], "order": 60}]
''',
    "$name/locale/zh_CN/LC_MESSAGES/messages.po": """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_CN\\n"

msgid "Notes"
msgstr "笔记"
""",
    "$name/tables.py": '''\
"""$name's tables; names start with the plugin's name."""

from piccolo.columns import Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Note(Table, tablename="${name}_note"):
    case_id = Integer(index=True)
    text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
''',
    "$name/piccolo_app.py": '''\
"""$name's Piccolo app; ``jiefen migrate`` runs its migrations."""

import os

from piccolo.conf.apps import AppConfig

from $name.tables import Note

APP_CONFIG = AppConfig(
    app_name="$name",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Note],
    migration_dependencies=[],
    commands=[],
)
''',
    "$name/piccolo_migrations/__init__.py": "",
    "$name/piccolo_migrations/${name}_${stamp}.py": '''\
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow

ID = "$migration_id"
VERSION = "1.38.0"
DESCRIPTION = "notes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="$name", description=DESCRIPTION)
    manager.add_table(class_name="Note", tablename="${name}_note", schema=None, columns=None)
    for column, column_class, params in (
        ("case_id", Integer, {"default": 0, "index": True}),
        ("text", Text, {"default": ""}),
        ("created_at", Timestamptz, {"default": TimestamptzNow()}),
    ):
        manager.add_column(
            table_class_name="Note", tablename="${name}_note", column_name=column, db_column_name=column,
            column_class_name=column_class.__name__, column_class=column_class,
            params={"null": False, "primary_key": False, "unique": False, **params}, schema=None,
        )
    return manager
''',
    "$name/routes.py": '''\
"""$name's API and admin fragment; the host answers 404 where the plugin is off."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide

from core.plugins import Actor, current_actor, get_case, page, render_template
from $name.tables import Note


class NoteIn(msgspec.Struct):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


async def panel(case: dict[str, Any]) -> dict[str, Any]:
    notes = await Note.select().where(Note.case_id == case["id"]).order_by(Note.id)
    return {"id": "$name", "title": "$name", "html": render_template("$name/panel.html", case=case, notes=notes)}


class ${cls}Api(Controller):
    path = "/api/v1/plugins/$name"
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/notes")
    async def notes(self, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        await get_case(case_id, actor)  # 404 unless the actor may see the case
        return await Note.select().where(Note.case_id == case_id).order_by(Note.id)

    @post("/cases/{case_id:int}/notes", status_code=201)
    async def add(self, actor: Actor, case_id: int, data: NoteIn) -> dict[str, Any]:
        await get_case(case_id, actor)
        return (await Note.insert(Note(case_id=case_id, text=data.text)).returning(*Note.all_columns()))[0]


class ${cls}Admin(Controller):
    path = "/admin/plugins/$name"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: Actor, case_id: int) -> str:
        return (await panel(await get_case(case_id, actor)))["html"]

    @get("/notes", media_type=MediaType.HTML)
    async def notes_page(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        """The navigation's page, in the admin's layout (templates extend plugin/page.html)."""
        notes = await Note.select().order_by(Note.id, ascending=False).limit(50)
        return await page(request, actor, "$name/notes.html", notes=notes)


ROUTES = [${cls}Api, ${cls}Admin]
''',
    "$name/templates/$name/panel.html": """\
<section id="$name" class="panel">
  {% for note in notes %}<p>{{ note.text }}</p>{% else %}<p>—</p>{% endfor %}
</section>
""",
    "$name/templates/$name/notes.html": """\
{% extends "plugin/page.html" %}
{% block title %}{{ _("Notes") }}{% endblock %}
{% block main %}
<h1>{{ _("Notes") }}</h1>
{% for note in notes %}<p>{{ note.text }}</p>{% else %}<p>—</p>{% endfor %}
{% endblock %}
""",
    "tests/test_$name.py": '''\
"""Passes as generated: the plugin is found through its entry point, and its hooks work."""

from core.plugins import render_template
from core.plugins.manager import get_manager, source_of


def test_plugin_is_installed():
    assert get_manager().get_plugin("$name") is not None
    assert source_of("$name").origin in {"package", "directory"}


def test_routes_are_mounted():
    from core.api.app import create_app

    paths = {route.path for route in create_app(run_jobs=False).routes}
    assert "/api/v1/plugins/$name/cases/{case_id:int}/notes" in paths


def test_navigation_entry():
    from core.actors import Actor

    [entry] = get_manager().hook.admin_nav(actor=Actor(kind="staff", roles=frozenset({"mediator"})))[0]
    assert entry["url"] == "/admin/plugins/$name/notes"


def test_panel_template_escapes():
    html = render_template("$name/panel.html", case={"id": 1}, notes=[{"text": "<b>hi</b>"}])
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
''',
}


def scaffold(name: str, directory: Path) -> Path:
    """Write ``directory/jiefen-<name>/``; refuses a bad name or an existing folder."""
    if not NAME_PATTERN.fullmatch(name) or name in RESERVED_NAMES:
        raise SystemExit(f"plugin name {name!r} must be lower-case letters, digits and _ (and not {sorted(RESERVED_NAMES)})")
    target = directory / f"jiefen-{name.replace('_', '-')}"
    if target.exists():
        raise SystemExit(f"{target} exists already")
    now = datetime.now(UTC)
    values = {
        "name": name, "dash": name.replace("_", "-"), "cls": "".join(p.capitalize() for p in name.split("_")),
        "stamp": now.strftime("%Y_%m_%dt%H_%M_%S_%f"), "migration_id": now.strftime("%Y-%m-%dT%H:%M:%S:%f"),
    }
    for path, text in FILES.items():
        out = target / Template(path).substitute(values)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(Template(text).safe_substitute(values), encoding="utf-8")
    return target
