from tfinit_audit.cli import main

raise SystemExit(main())
