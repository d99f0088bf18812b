"""The training materials library (seed 003: SCORE4Climate materials downloaded from the
platform in several languages): per module and language, every version kept."""
