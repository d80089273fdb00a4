"""The admin navigation's entry (hook ``admin_nav`` through ``bundled_plugin``): the legal-aid
centre's list of handoffs."""

NAV = [{"key": "centre", "label": "Legal aid", "url": "/admin/plugins/legal_aid/centre", "roles": ["legal_aid_staff"], "order": 41}]
