"""One module per ``cskpi`` subcommand (see :mod:`cskpi_analysis.cli`)."""
