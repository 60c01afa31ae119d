"""OpenTelemetry instruments, one module per area; the MeterProvider is installed by the bootstrap."""
