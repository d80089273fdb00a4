"""``uvicorn core.api.asgi:app``"""

from core.api.app import create_app

app = create_app()
