"""``incident_lab plugins``: what the plugin manager loaded."""

from __future__ import annotations

import click

from incident_lab.cli.app import echo_json, json_option
from incident_lab.plugins import plugin_table


@click.command()
@json_option("the table")
def plugins(as_json: bool) -> None:
    """List loaded plugins, the hooks each implements and what each registers.

    \b
    Example:
      incident_lab plugins
      incident_lab plugins --json | jq '.[].name'
    """
    rows = plugin_table()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        origin = "built-in" if row["builtin"] else (row["distribution"] or "plugin")
        click.echo(f"{row['name']}  ({origin})")
        for hook, items in row["items"].items():
            click.echo(f"    {hook}: {', '.join(items) if items else '-'}")
