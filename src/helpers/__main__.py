from helpers.cli.main import main

raise SystemExit(main())
