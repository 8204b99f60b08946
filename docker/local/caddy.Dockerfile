# Caddy 2 from Debian's packages, for hosts that cannot pull the official caddy:2 image
# (docker/compose.local.yml). Same paths: /etc/caddy/Caddyfile, data in /data, config in /config.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends caddy ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
