from goldenthread.sync.cli import main

main()
