"""Industry-association mediation (行业调解): registry, transfer, accept or decline, outcome back.

Bundled plugin; its hooks arrive with its own issue. Off until a town turns it on."""

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False
