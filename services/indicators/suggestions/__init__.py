"""The suggestion scheme register (seed 002: rewards to workers whose suggestions are adopted)."""
