"""`python -m console` starts the console on settings.console_host:console_port."""

from console.app import main

main()
