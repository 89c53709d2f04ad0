from vega.cli.main import main

main()
