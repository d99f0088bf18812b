"""Trainer certification evidence (seed 003: trainers "complete a quiz at the end of each
session, as well as submit an assignment"): quiz results per session of a module's
certification path and assignment uploads, which certification requires."""
