# PostgreSQL 15 from Debian's packages, for hosts that cannot pull the official postgres:15 image
# (docker/compose.local.yml). Same interface: POSTGRES_DB/USER/PASSWORD, data in /var/lib/postgresql/data.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY docker/local/postgres-entrypoint /usr/local/bin/postgres-entrypoint
ENTRYPOINT ["postgres-entrypoint"]
