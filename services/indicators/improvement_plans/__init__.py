"""Enterprise Improvement Plans (seed 002: "create an Enterprise Improvement Plan")."""
