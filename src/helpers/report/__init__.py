"""The report layer: what a page shows (`*_table`, `*_figure`, `*_phrase`), with the disclosure policy applied."""
