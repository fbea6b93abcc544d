"""The package version, in one place (read by the CLI, summaries and the service)."""

VERSION = "0.1.0"
