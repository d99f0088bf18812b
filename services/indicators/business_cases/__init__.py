"""Business cases (seed 002, key step 8): what an improvement project changed, told with
before and after photos, for the enterprise, its trainers and a consenting buyer."""
