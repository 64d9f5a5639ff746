"""The app configured from the environment: ``uvicorn inference.asgi:app``."""

from inference.main import create_app

app = create_app()
