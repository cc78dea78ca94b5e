# syntax=docker/dockerfile:1
# The Node.js client's quickstart (clients/js/examples/quickstart.js) as a compose
# service (compose.yaml). Build context: the repository root:
#
#   docker build -f docker/js-example.Dockerfile -t actorgrpc/js-example .
#   docker run --rm --network=host actorgrpc/js-example 127.0.0.1:7070
ARG BASE=node:20-bookworm-slim
FROM ${BASE}

ENV NODE_ENV=production
# The client loads the protos at run time from ../../../protos of its src/ folder.
WORKDIR /app/clients/js
COPY clients/js/package.json clients/js/package-lock.json ./
# Runtime dependencies only, exactly as locked. The optional `cabundle` secret is a CA
# bundle for the registry where TLS is intercepted.
RUN --mount=type=secret,id=cabundle,target=/run/secrets/ca.crt \
    if [ -s /run/secrets/ca.crt ]; then export npm_config_cafile=/run/secrets/ca.crt; fi \
    && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY protos /app/protos
COPY clients/js/src ./src
COPY clients/js/examples ./examples
# The unprivileged `node` user (uid 1000) of the node images.
USER 1000:1000
ENTRYPOINT ["node", "examples/quickstart.js"]
CMD ["arbiter:7070"]
