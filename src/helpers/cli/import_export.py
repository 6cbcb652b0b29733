"""`linkbook import redcap|qdpx` and `linkbook export qdpx`: argparse set-up and handlers.

Each handler returns an exit code: 0 done, 2 invalid input (the problems are printed, and
nothing is written). `--dry-run` reads and checks everything and prints what would be written
(tables, row counts, and the notes: merged spans, how positions were counted, fields left out)
without writing anything.
"""

from __future__ import annotations

EXIT_OK, EXIT_INVALID = 0, 2


def register(subparsers) -> None:
    """Add the `import` and `export` commands to the `linkbook` sub-command parsers."""
    importer = subparsers.add_parser("import", help="import a REDCap export or a REFI-QDA project into contract tables")
    formats = importer.add_subparsers(dest="format", required=True, metavar="{redcap,qdpx}")

    redcap = formats.add_parser("redcap", help="REDCap raw CSV export -> participants, questionnaires, interviews")
    redcap.add_argument("--records", required=True, help="the records export (CSV, raw data)")
    redcap.add_argument("--dictionary", required=True, help="the project's data dictionary (CSV)")
    redcap.add_argument("--mapping", required=True, help="YAML mapping of fields to columns (see data/mappings/redcap.yml)")
    redcap.add_argument("--out", required=True, help="dataset directory to write the tables to")
    redcap.add_argument("--merge", action="store_true", help="combine with tables already in --out instead of replacing them")
    redcap.add_argument("--dry-run", action="store_true", help="check and say what would be written; write nothing")
    redcap.set_defaults(func=cmd_import_redcap)

    qdpx = formats.add_parser("qdpx", help="REFI-QDA project (.qdpx) -> codebook, segments, codings")
    qdpx.add_argument("--project", required=True, help="the .qdpx file exported by NVivo, ATLAS.ti, MAXQDA or QualCoder")
    qdpx.add_argument("--out", required=True, help="dataset directory to write the tables to")
    qdpx.add_argument("--mapping", help="YAML mapping of cases and variables (see data/mappings/qdpx.yml)")
    qdpx.add_argument("--merge", action="store_true", help="combine with tables already in --out instead of replacing them")
    qdpx.add_argument("--dry-run", action="store_true", help="check and say what would be written; write nothing")
    qdpx.set_defaults(func=cmd_import_qdpx)

    exporter = subparsers.add_parser("export", help="export coded data as a REFI-QDA project")
    targets = exporter.add_subparsers(dest="format", required=True, metavar="{qdpx}")
    out = targets.add_parser("qdpx", help="codebook, segments, codings -> .qdpx")
    out.add_argument("--data", required=True, help="dataset directory holding codebook.csv, segments.csv, codings.csv")
    out.add_argument("--out", required=True, help="the .qdpx file to write")
    out.set_defaults(func=cmd_export_qdpx)


def cmd_import_redcap(args) -> int:
    from helpers.importers.redcap import import_redcap

    return _import("import redcap", lambda: import_redcap(args.records, args.dictionary, args.mapping), args)


def cmd_import_qdpx(args) -> int:
    from helpers.importers.qdpx import import_qdpx

    return _import("import qdpx", lambda: import_qdpx(args.project, args.mapping), args)


def cmd_export_qdpx(args) -> int:
    from helpers.importers.qdpx_export import export_qdpx

    return _run("export qdpx", lambda: export_qdpx(args.data, args.out))


def _import(command: str, read, args) -> int:
    from helpers.importers.tables import write_tables

    def run():
        tables, notes = read()
        lines = write_tables(args.out, tables, merge=args.merge, dry_run=args.dry_run)
        if args.dry_run:
            return notes + ["Would write " + line for line in lines] + ["Dry run: nothing was written."]
        return notes + ["Wrote " + line for line in lines] + [
            f"Next: add the other tables and check the dataset with `linkbook validate --data {args.out}`."]
    return _run(command, run)


def _run(command: str, work) -> int:
    from helpers.importers import ImportFailed

    try:
        lines = work()
    except ImportFailed as err:
        print(f"linkbook {command}: {len(err.problems)} problem(s); nothing was written. "
              "(In CSV files the header is line 1.)\n")
        for problem in sorted(err.problems, key=lambda p: p.sort_key()):
            print(f"  {problem}")
        return EXIT_INVALID
    for line in lines:
        print(line)
    return EXIT_OK
