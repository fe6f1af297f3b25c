"""Citizens' personal data (PIPL): masking, and later retention and a person's requests."""
