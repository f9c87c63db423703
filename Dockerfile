# Multi-stage build of the poolvisor binary. The image is for running the bot
# next to supervisord and php-fpm (mount their sockets and config directories);
# most hosts install the binary and deploy/poolvisor.service instead.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/poolvisor ./cmd/poolvisor

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/poolvisor /usr/local/bin/poolvisor
COPY configs/poolvisor.example.yaml /etc/poolvisor/poolvisor.example.yaml
VOLUME ["/var/lib/poolvisor"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/poolvisor"]
CMD ["serve", "--config", "/etc/poolvisor/poolvisor.yaml"]
