"""The admin navigation's entry (hook ``admin_nav`` through ``bundled_plugin``): counsellors
have no case page of their own, so their queue is one click from every page."""

NAV = [{"key": "queue", "label": "Counselling", "url": "/admin/plugins/psych/queue", "roles": ["counsellor"], "order": 40}]
