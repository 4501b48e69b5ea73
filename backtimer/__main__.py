from backtimer.cli.main import main

raise SystemExit(main())
