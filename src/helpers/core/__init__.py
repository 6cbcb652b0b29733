"""The base layer: where things live in a checkout, files written atomically, content hashes, exit codes."""
