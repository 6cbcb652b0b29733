"""The command line: argparse only; each command builds its options and calls one plain function."""
