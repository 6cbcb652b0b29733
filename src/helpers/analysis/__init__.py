"""The analysis layer: pure functions from contract tables to results frames; `rules` holds every analysis constant."""
