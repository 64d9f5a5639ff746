"""Recotem inference service: serves signed model artifacts over HTTP (FastAPI)."""
