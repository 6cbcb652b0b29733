"""The book layer: generated sources, the Sphinx build and server, the privacy guard, the release checklist, watch."""
