"""Psychological counselling referral (心理疏导): consent, counsellor pool, grading, crisis alert.

Bundled plugin; its hooks arrive with its own issue. Off until a town turns it on."""

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False
