"""The `xxgk` commands, one module each: option parsing, printing and exit codes only (the only users of
click). The work is done by plain functions in the domain modules; ``monitor.cli`` maps names to these."""
