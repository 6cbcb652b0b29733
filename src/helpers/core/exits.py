"""Exit codes of every linkbook command."""

EXIT_OK = 0  # success
EXIT_FAILED = 1  # a notebook or the book build failed
EXIT_INVALID = 2  # invalid input or usage: the message says what to fix
EXIT_INTERRUPTED = 130  # Ctrl-C
