"""flows/registry.py: every command is declared once; the command line and the Prefect flows are
made from the declarations, and this test fails if the two ever ask for different things."""
from __future__ import annotations

import typer.main

from flows.command import options
from flows.registry import BY_NAME, COMMANDS


def asked(command) -> dict[str, object]:
    return {f.name: f.metadata["option"] for f, _ in options(command.params) if "option" in f.metadata}


def drift(command, cli_params, schema: dict) -> list[str]:
    """What differs between a command's options on the command line and its flow's parameters."""
    cli = {p.name: p for p in cli_params if p.name != "engine"}
    flow = {k: v for k, v in schema.get("properties", {}).items() if k != "quiet"}
    found = [f"{command.name}: only on the command line: {name}" for name in sorted(set(cli) - set(flow))]
    found += [f"{command.name}: only in the flow: {name}" for name in sorted(set(flow) - set(cli))]
    for name in sorted(set(cli) & set(flow)):
        opt = asked(command).get(name)
        if opt is None:
            found.append(f"{command.name}: {name} is not declared")
            continue
        if cli[name].help != opt.help:
            found.append(f"{command.name}: {name}: command line help differs from the declaration")
        if flow[name].get("description") != (opt.form or opt.help) or flow[name].get("title") != opt.title:
            found.append(f"{command.name}: {name}: the form's words differ from the declaration")
        patterns = {a.get("pattern") for a in flow[name].get("anyOf", [flow[name]])} - {None}
        year = opt.check == "year"        # a whole number in the form, as before issue 28
        if bool(patterns) != (opt.check in ("period", "day")) or year != (flow[name].get("type") == "integer"):
            found.append(f"{command.name}: {name}: the form's format differs from the declaration")
    return found


def test_issue_28_each_commands_cli_options_equal_its_flows_parameters():
    from prefect.utilities.callables import parameter_schema

    from flows.cli import app
    from flows.orchestration import FLOWS
    group = typer.main.get_command(app)
    problems = []
    for command in COMMANDS:
        cli_params = group.commands[command.name].params
        declared = {n for n, o in asked(command).items() if o.cli}
        assert {p.name for p in cli_params} - {"engine"} == declared, command.name
        if command.engine is None:              # plain only: no flow
            assert command.name not in FLOWS
            continue
        problems += drift(command, cli_params, parameter_schema(FLOWS[command.name]).model_dump())
    assert problems == []


def test_issue_28_the_drift_check_sees_a_missing_a_renamed_and_a_reworded_parameter():
    from prefect.utilities.callables import parameter_schema

    from flows.cli import app
    from flows.orchestration import FLOWS
    close = BY_NAME["close"]
    cli_params = typer.main.get_command(app).commands["close"].params
    schema = parameter_schema(FLOWS["close"]).model_dump()
    assert drift(close, cli_params, schema) == []
    props = schema["properties"]
    props["inbox_folder"] = props.pop("inbox")
    props["db"] = {**props["db"], "description": "the database"}
    props["period"] = {**props["period"], "anyOf": [{"type": "string"}]}
    assert drift(close, cli_params, schema) == [
        "close: only on the command line: inbox", "close: only in the flow: inbox_folder",
        "close: db: the form's words differ from the declaration",
        "close: period: the form's format differs from the declaration"]


def test_issue_28_the_registry_names_each_command_once_and_every_flow_has_a_run_name():
    assert len({c.name for c in COMMANDS}) == len(COMMANDS) == len({c.flow_name for c in COMMANDS})
    assert all(c.run_name is not None for c in COMMANDS if c.engine is not None)
    assert all(c.help and c.params for c in COMMANDS)


def test_issue_28_a_year_is_a_whole_number_in_the_run_form_and_four_digits_for_the_command():
    """The PIT statement's year: the API and the form send 2026 (as before the registry), the
    command gets '2026' (its check refuses other digits than ASCII)."""
    from prefect.utilities.callables import parameter_schema

    from flows.orchestration import FLOWS, _filled
    year = parameter_schema(FLOWS["statement"]).model_dump()["properties"]["year"]
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", 1990, 2100)
    assert _filled(BY_NAME["statement"], {"year": 2026})["year"] == "2026"


def test_issue_32_each_registry_line_names_its_command_and_loads_only_its_module():
    """The command line makes only the command it runs from its registry line (name = module:NAME),
    so the name written there must be the command's own."""
    import subprocess
    import sys

    from flows import registry
    assert all(registry._split(line)[0] == line.partition("=")[0].strip() for line in registry.LINES)
    assert [c.name for c in COMMANDS] == list(registry.NAMES)
    assert registry._split("flows.close:CLOSE") == registry._split("close = flows.close:CLOSE")   # the old form
    assert all(registry.load(c.name) is c for c in COMMANDS)
    code = ("import sys\nfrom flows import registry\nassert registry.load('close').name == 'close'\n"
            "print(sorted(m for m in sys.modules if m.startswith('flows.') and m not in "
            "('flows.registry', 'flows.close', 'flows.command', 'flows.settings', 'flows.store', 'flows.months', "
            "'flows.inbox', 'flows.files', 'flows.payroll_inbox', 'flows.archive', 'flows.rules')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_issue_32_the_command_lines_group_lists_the_registry_first_then_the_others():
    from flows import registry
    from flows.cli import app
    group = typer.main.get_command(app)
    assert group.list_commands(None) == [*registry.NAMES, "demo", "synth", "serve", "server"]
    assert group.get_command(None, "nonexistent") is None and "nonexistent" not in group.commands
