# Static multi-stage build: a single plumebot binary on a distroless, non-root base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/plumebot ./cmd/plumebot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/plumebot /usr/local/bin/plumebot
COPY --from=build --chown=65532:65532 /out/data /var/lib/plumebot
ENV PLUMEBOT_DATA_DIR=/var/lib/plumebot PLUMEBOT_LISTEN_ADDR=:8080 PLUMEBOT_LOG_FORMAT=json
USER 65532:65532
VOLUME /var/lib/plumebot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/plumebot"]
CMD ["serve"]
