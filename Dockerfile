# Multi-stage build of the poolvisor binary. The image runs the bot next to a
# supervisord (and php-fpm) of the host; most hosts install the binary and
# deploy/poolvisor.service instead. What the image expects, and does:
#
#   /etc/poolvisor/poolvisor.yaml  the config, mounted read-only (none is
#                                  baked in: serve stops, naming the file,
#                                  without one; the example is in
#                                  /usr/share/poolvisor/)
#   /var/lib/poolvisor             data_dir: approvals, audit, history (a volume)
#   /etc/supervisor                the host's supervisord config, read-write
#   /var/run/supervisor.sock       the host's supervisord socket
#   /var/log/supervisor            the host's program logs (for logs and alerts)
#
# supervisord's own config check needs supervisord's Python code, so the
# image carries Debian's supervisor package (it does not run supervisord):
# writes are judged as on a host. It carries no php-fpm: `php-fpm -t` cannot
# run, so pool writes are refused, never skipped; set phpfpm.enabled: false,
# or run poolvisor on the host for PHP-FPM. See README, "Docker".
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Two binaries (README, "Two binaries"): poolvisor, the thin client, hands
# serve and every other command to poolvisord beside it, keeping its PID.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/poolvisor ./cmd/poolvisor \
    && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/poolvisord ./cmd/poolvisord

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates supervisor \
    && rm -rf /var/lib/apt/lists/* /etc/supervisor/conf.d/*
COPY --from=build /out/poolvisor /out/poolvisord /usr/local/bin/
COPY configs/poolvisor.example.yaml /usr/share/poolvisor/poolvisor.example.yaml
# Inside a container loopback is the container's own: listen where the
# published port reaches. Publish it on the host's loopback
# (-p 127.0.0.1:8080:8080) unless Slack or Discord must reach it.
ENV POOLVISOR_CONFIG=/etc/poolvisor/poolvisor.yaml \
    POOLVISOR_LISTEN=0.0.0.0:8080 \
    POOLVISOR_DATA_DIR=/var/lib/poolvisor
VOLUME ["/var/lib/poolvisor"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/poolvisor"]
CMD ["serve"]
