"""The admin navigation's entries (hook ``admin_nav`` through ``bundled_plugin``): the
association's inbox for its staff, the figures per association for the centre's leads."""

NAV = [
    {"key": "inbox", "label": "Industry mediation", "url": "/admin/plugins/industry_assoc/inbox", "roles": ["association_staff"], "order": 42},
    {"key": "stats", "label": "Association figures", "url": "/admin/plugins/industry_assoc/stats", "roles": ["supervisor", "admin"], "order": 43},
]
