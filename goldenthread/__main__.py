from goldenthread.webhooks.cli import main

main()
