"""Order status sharing (seed 002: "share their order status (confirmed and in pipeline) for
the next 12 months"), per buyer and month, seen by the buyer concerned while it consents."""
