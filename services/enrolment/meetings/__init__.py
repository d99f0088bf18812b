"""The individual meeting with an applicant's CEO or main decision maker, and the
commitment given there (seed 002)."""
