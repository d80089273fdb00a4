"""Hook specifications: everything a plugin can contribute.

Each hook says when it is called, what it gets, what it may return and what happens when it
raises. Hooks may return a value, a callable or an awaitable; the caller awaits what needs
awaiting, except the hooks called once at start (routes, templates, static files, jobs, cron,
channels, settings, domain data), which return plain values. Hooks marked *firstresult* stop at
the first non-None result; plugins registered later are called first, so a town's plugin
overrides a built-in default. An implementation declares only the arguments it uses.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("jiefen")

# ---------------------------------------------------------------- lifecycle


@hookspec
def veto_transition(case: dict[str, Any], event: str, target: str | None, actor: Any, data: Any) -> str | None:
    """Called inside the transaction before an action is applied to a case of a town where the
    plugin is on. Return a reason (a string, shown to the user) to stop the action, or None.
    If the hook raises, the action is blocked with a message naming the plugin (fail closed)."""


@hookspec
def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    """Called after an event is committed, from the job runner (never inside the transaction),
    for a case of a town where the plugin is on, once per plugin (each plugin's delivery is its
    own outbox row). ``event`` is the timeline row: name, seq, from_state, to_state, payload,
    actor_label, at. If it raises, the error is logged with the plugin's name and the delivery is
    retried with backoff, then kept as failed until someone retries it (``jiefen plugins
    deliveries --failed``, ``--retry``); the case is never changed back. Be idempotent."""


@hookspec(firstresult=True)
def reopen_ground(case: dict[str, Any]) -> str | None:
    """Called inside the transaction when ``reopen`` is asked for an agreed case whose last
    follow-up did not find the agreement unperformed (the core's own ground), for the plugins on
    for the case's town: return a short reason the plugin knows of (e.g. a court refused to
    confirm the agreement) to let the case go back to mediation anyway, or None to leave the
    core's refusal standing. *firstresult*. The reason is kept in the event's payload as
    ``ground``, with the plugin's name as ``ground_plugin``."""


# ---------------------------------------------------------------- domain data


@hookspec
def dispute_types() -> list[dict[str, Any]]:
    """Called by ``jiefen migrate`` and ``seed``: dispute types to add to the taxonomy, each
    ``{"code", "label_zh", "label_en", "sensitive"}``. Existing codes are left as they are.
    Types are shared by the whole deployment, whichever towns have the plugin on."""


@hookspec
def organisation_types() -> list[dict[str, Any]]:
    """Called by ``jiefen migrate``, like ``dispute_types``: organisation types to add, each
    ``{"code", "label_zh", "label_en", "tree_level", "issues_agreements"}`` (the last two optional;
    ``tree_level`` None for a handling body beside the tree)."""


@hookspec
def roles() -> list[dict[str, Any]]:
    """Called when roles are listed (``core.plugins.host.all_roles()``, the user admin): roles the
    plugin adds, each ``{"code", "label_zh", "label_en", "description"}``. A code the core or an
    earlier plugin already has is ignored. Check them in your own handlers with ``actor.roles``."""


# ---------------------------------------------------------------- dispatch


@hookspec(firstresult=True)
def case_number(prefix: str, year: int, seq: int, case: dict[str, Any]) -> str | None:
    """Format a case's official number when it is registered (受理): from the instance's prefix,
    the year and the next sequence number (allocated without gaps among registered cases).
    Until registration a case carries its application reference (申20261123-K7Q3-9XD2), which
    stays in ``application_ref``. *firstresult*. The built-in plugin uses
    ``JIEFEN_CASE_NUMBER_FORMAT``."""


@hookspec(firstresult=True)
def dispatch_target(case: dict[str, Any]) -> dict[str, Any] | None:
    """Choose where a case goes when dispatched "by rules": return ``{"organisation_id": int,
    "to_pool": bool, "reason": str}`` or None. *firstresult*. The built-in plugin applies the
    town's dispatch rules (dispute type → competent body, place → village committee)."""


@hookspec(firstresult=True)
def rank_mediators(case: dict[str, Any], candidates: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Order mediator candidates for a case. Each candidate has the roster row plus
    ``open_cases``; return the list, best first, each with ``score`` and ``reasons``
    (a list of short strings). *firstresult*. The built-in plugin ranks by specialty, load,
    grade and rating."""


# ---------------------------------------------------------------- web


@hookspec
def register_routes() -> list[Any]:
    """Called once when the app is built: Litestar route handlers or controllers the plugin
    serves (API under ``/api/v1/plugins/<name>/``, admin pages under ``/admin/plugins/<name>/``;
    a path elsewhere stops the start). The host wraps them with a guard that answers 404 to
    staff (and parties, API keys) of a town where the plugin is off; anonymous requests pass the
    guard, so ask for ``actor = Provide(current_actor)`` where a handler needs one."""


@hookspec
def template_dirs() -> list[Any]:
    """Called once at start: directories (``pathlib.Path``) of Jinja templates; put them in a
    folder named after the plugin (``templates/<name>/…``) so names never collide. Render them
    with ``core.plugins.render_template("<name>/x.html", **context)`` (autoescaped); the admin
    adds the same directories to its own template loader."""


@hookspec
def static_dirs() -> dict[str, Any]:
    """Called once at start: ``{sub_prefix: directory}``; each directory is served under
    ``/static/plugins/<name>/<sub_prefix>/`` (``""`` for ``/static/plugins/<name>/`` itself).
    Static files are public in every town: put stylesheets and scripts there, never data."""


@hookspec
def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    """Called when the case page is rendered, for a town where the plugin is on: buttons to
    show, each ``{"label": str, "url": str, "method": "get"|"post", "hx_target": str | None,
    "confirm": str | None}``. Return only what this actor may do. A plugin whose hook raises
    shows no actions (the error is logged with its name)."""


@hookspec
def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    """Called when the case page is rendered, for a town where the plugin is on: panels, each
    ``{"id": str, "title": str, "html": str}`` where ``html`` is rendered by the plugin's own
    (autoescaped) template. A panel that raises is replaced by a notice naming the plugin."""


@hookspec
def admin_nav(actor: Any) -> list[dict[str, Any]]:
    """Called for every admin page a staff user opens (the layout's top navigation), for the
    plugins on for the user's own organisation's town: entries ``{"key": str, "label": str,
    "url": str, "roles": list[str], "order": int}``. ``label`` is an English message id,
    translated through the plugin's ``locale/`` catalogue; ``url`` sits under
    ``/admin/plugins/<name>/``; the host shows an entry only to users holding one of its
    ``roles`` (empty: every staff user), sorted by ``order`` among the core's entries (cases 10,
    register 20, management 90). Keep it cheap and free of queries. If it raises, that plugin's
    entries are left out (logged with its name); the page still renders."""


@hookspec
def dashboard_widgets(organisation: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    """Called when a dashboard of ``organisation`` (a row with ``path``) is rendered, for a
    town where the plugin is on: widgets ``{"id", "title", "html"}``. A widget that raises is
    replaced by a notice naming the plugin."""


# ---------------------------------------------------------------- jobs


@hookspec
def jobs() -> dict[str, Any]:
    """Called once at start: ``{job_name: async function(payload: dict)}`` added to the job
    registry; queue them with ``core.plugins.enqueue(job_name, payload, case_id=...)``. Job names
    should start with the plugin's name (a core job's name stops the start). A job whose payload
    has ``case_id`` is skipped for a case of a town where the plugin is off. Jobs must be
    idempotent; one that raises is retried with backoff, then kept as failed."""


@hookspec
def cron_jobs() -> list[dict[str, Any]]:
    """Called once at start: periodic jobs, each ``{"name": str, "job": job_name, "minute":
    set[int] | None, "hour": set[int] | None, "weekday": …, "day": …}`` (arq cron semantics,
    local time; None means every value). The job must be one of the plugin's ``jobs``. A cron run
    covers every town, so skip the cases of towns where the plugin is off (use
    ``core.plugins.enabled_for_case`` or ``enabled_for_path``)."""


# ---------------------------------------------------------------- notifications


@hookspec
def notification_channels() -> list[Any]:
    """Called once at start: channel objects with ``name: str`` and
    ``async def send(message) -> str | None`` (returns a provider id). The built-in channels are
    ``inbox`` (always) and ``log`` (development); SMS and WeChat come from plugins. Channels
    serve the whole deployment; a later plugin's channel replaces an earlier one of the same
    name (``core.plugins.host.notification_channels()``)."""


@hookspec
def notification_messages() -> dict[str, Any]:
    """Called when a notification is written: message kinds the plugin sends with
    ``core.plugins.notify(kind=..., ...)``, each ``{kind: (subject, body)}`` — English message
    ids with ``{placeholders}``, translated by the plugin's own catalogue (``locale/``). Start
    kinds with the plugin's name (``psych_crisis``); the core's kinds win over a plugin's of the
    same name. Keep the body short (it is what an SMS carries) and free of personal data."""


# ---------------------------------------------------------------- documents


@hookspec
def document_sections(document: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Called when a document (``agreement``, ``receipt``, ``record``, ``failure_notice`` …) of a
    case is rendered, for a town where the plugin is on: extra sections ``{"title": str,
    "html": str}`` placed before the signature block. ``html`` must come from an autoescaped
    template. If the hook raises, the document is not rendered (an official document must not go
    out silently missing a section); the error names the plugin."""


@hookspec
def document_templates() -> list[Any]:
    """Called when a document template is looked up: directories (``pathlib.Path``) of whole
    documents the plugin issues itself (an application, a notice), each template in a folder
    named after the plugin (``<dir>/<name>/<doc>.html``). Render one with
    ``core.documents.render_pdf_async("<name>/<doc>", context)``: it may extend
    ``documents/base.html`` and use its macros and filters, its context needs ``committee`` and
    ``case_no`` like every document, and it gets the same autoescaping and restricted fetcher.
    The core's own templates win over a plugin's of the same name."""


@hookspec(firstresult=True)
def document_signer(organisation: dict[str, Any]) -> Any:
    """Return the signer for documents issued by ``organisation``: an object with
    ``async def sign(pdf: bytes, *, reason: str, location: str, name: str) -> bytes``.
    *firstresult*, among the plugins on for the organisation's town. The built-in signer uses
    PAdES with the committee's key (pyHanko); a town can plug in a national e-seal service
    (SM2, GB/T 38540)."""


# ---------------------------------------------------------------- settings


@hookspec
def settings_schema() -> Any:
    """Called at start: a ``msgspec.Struct`` type for the plugin's settings, read from
    ``JIEFEN_PLUGIN_<NAME>_<FIELD>`` variables (lists and mappings as JSON). A bad or missing
    value stops the start with a message naming the variable. Read the values with
    ``core.plugins.plugin_settings("<name>")``. Return None when the plugin has no settings."""


@hookspec
def startup(app: Any) -> None:
    """Called when the app starts (after migrations were applied, before serving), with the
    Litestar app. If it raises, the app does not start."""


# ---------------------------------------------------------------- privacy


@hookspec
def anonymise_case(case_id: int) -> dict[str, Any] | int | None:
    """Called by the retention policy (``jiefen retention run``) inside the transaction that
    anonymises a closed case, for every installed plugin whether or not it is on for the case's
    town now (the rows it kept while it was on are still there). Scrub the personal data your
    tables hold for the case: names, phones, ID numbers, addresses and free text (notes,
    reasons); keep ids, states, dates and numbers so that figures still add up. Return the
    number of rows scrubbed, or ``{"rows": n, "files": [paths]}`` with files to delete once the
    transaction has committed. If it raises, the whole case is rolled back, reported as failed
    and left for the next run; the run goes on with the other cases. Be idempotent."""
