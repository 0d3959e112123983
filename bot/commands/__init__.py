"""Command declarations; importing bot.commands.spec.all_commands() loads every module."""
