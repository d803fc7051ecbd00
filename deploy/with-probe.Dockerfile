# An upstream image plus a static busybox, so that compose can probe it: the OpenTelemetry
# Collector's image has no shell and no HTTP client, and Jaeger's is kept as lean. busybox's
# musl build needs no libraries; `busybox wget` asks the image's own health endpoint.
# compose.yaml passes IMAGE (the upstream image and tag).
ARG IMAGE
FROM busybox:1.37-musl AS busybox

FROM ${IMAGE}
COPY --from=busybox /bin/busybox /usr/local/bin/busybox
