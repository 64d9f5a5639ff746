# Stand-in for python:3.12-slim-bookworm: a CPython 3.12 built on bookworm (the context)
# under /usr/local, with the shared libraries its modules link to.
FROM recotem-standin/bookworm:minbase
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 libsqlite3-0 \
        libffi8 zlib1g libbz2-1.0 liblzma5 libreadline8 libncursesw6 libuuid1 libexpat1 \
        tzdata netbase \
    && rm -rf /var/lib/apt/lists/*
COPY . /usr/local/
RUN ldconfig && python3 --version
ENV LANG=C.UTF-8
CMD ["python3"]
