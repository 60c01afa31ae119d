from entrypoints.cli.main import cli

cli(prog_name="lore")
