# syntax=docker/dockerfile:1
# actorctl, the Go client's example program, as a compose service (compose.yaml) that
# drives the arbiter with docker/go-example.sh. Build context: the repository root:
#
#   docker build -f docker/actorctl.Dockerfile -t actorgrpc/actorctl .
#   docker run --rm --network=host -e ACTORGRPC_ADDRESS=127.0.0.1:7070 actorgrpc/actorctl
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY clients/go/go.mod clients/go/go.sum ./
# The optional `cabundle` secret is a CA bundle for the module proxy where TLS is
# intercepted (--secret id=cabundle,src=/etc/ssl/certs/ca-certificates.crt).
RUN --mount=type=secret,id=cabundle,target=/run/secrets/ca.crt \
    if [ -s /run/secrets/ca.crt ]; then export SSL_CERT_FILE=/run/secrets/ca.crt; fi \
    && go mod download
COPY clients/go/ ./
# A static binary, so the runtime image needs no Go and no libc of a given version.
RUN CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/actorctl ./cmd/actorctl

FROM ${BASE}
COPY --from=build /out/actorctl /usr/local/bin/actorctl
COPY docker/go-example.sh /usr/local/bin/go-example
ENV ACTORGRPC_ADDRESS=arbiter:7070
# nobody: the client needs no privilege at all.
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/go-example"]
