"""Benchmarks: scripts run by hand (`uv run python -m benchmarks.<name>`), not tests."""
