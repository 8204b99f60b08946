# Redis 7 from Debian's packages, for hosts that cannot pull the official redis:7 image
# (docker/compose.local.yml). Like the official image: any redis-server arguments, protected mode off
# (the port is published on the host's loopback only).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /var/lib/redis
ENTRYPOINT ["sh", "-c", "exec setpriv --reuid=redis --regid=redis --init-groups \"$@\" --protected-mode no", "redis"]
CMD ["redis-server"]
