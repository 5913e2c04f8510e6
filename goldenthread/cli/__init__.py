"""The command line: the typer app, terminal rendering and the demo. The top layer."""
