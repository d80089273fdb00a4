"""Written agreements and case documents: drafts, finalising, real signatures, the committee's
seal, signed PDFs with a verification code, the public verification page and the case file.

See ``docs/agreements.md`` for the flow. The document pipeline itself (templates, WeasyPrint,
PAdES) is ``core.documents``; this area wires it to cases.
"""

from pathlib import Path

from core.i18n import add_catalogue_dir

add_catalogue_dir(Path(__file__).parent / "locale")
