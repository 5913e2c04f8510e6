from goldenthread.cli.app import main

main()
