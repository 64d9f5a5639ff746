# Stand-in for ghcr.io/astral-sh/uv: the uv binary (the context) at /uv, as there.
FROM scratch
COPY uv /uv
