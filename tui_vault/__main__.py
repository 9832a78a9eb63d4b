from tui_vault.cli import entry

entry()
