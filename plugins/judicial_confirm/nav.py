"""The admin navigation's entry (hook ``admin_nav`` through ``bundled_plugin``): the court's
applications for its clerks."""

NAV = [{"key": "court", "label": "Judicial confirmation", "url": "/admin/plugins/judicial_confirm/court", "roles": ["court_clerk"], "order": 44}]
