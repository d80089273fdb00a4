"""Court judicial confirmation (司法确认): joint application, court decision, ruling back.

Bundled plugin; its hooks arrive with its own issue. Off until a town turns it on."""

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False
