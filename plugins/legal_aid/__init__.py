"""Legal-aid handoff (法律援助): eligibility, handoff package, lawyer assigned, outcome back.

Bundled plugin; its hooks arrive with its own issue. Off until a town turns it on."""

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False
