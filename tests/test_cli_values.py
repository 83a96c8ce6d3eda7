"""Issue 32: the command line takes an option's text, path, list of texts, flag or parsed number as typed
(flows/cli.plain_values), not through the pydantic validator typer builds for every option — the
values are those typer's own coercion gives, for every option of every command of the registry."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import typer.main

from flows import registry
from flows.cli import app

SAMPLES = {
    str: ["", "2026-10", " U1 ", "Łódź — „Solidarność”", "per:3", "x" * 300],
    Path: ["", ".", "skrzynka", "a/b/c.csv", "C:\\Users\\Skarbnik\\Moje dokumenty\\płace.csv", "~/baza.duckdb",
           "/tmp", "nie ma takiego pliku.xlsx", Path("już/ścieżka")],
    list[str]: [("U1",), ("U1", "U2", "Ł3"), ["a", ""]],
    bool: [True, False, "true", "nie", ""],
    "parsed": ["0", "1", "12", "007", "-1", "x", "1.5", "١٢", 2026],
}


def _outcome(runtime, value, param, ctx):
    try:
        return "ok", runtime.coerce(value, param=param, ctx=ctx)
    except Exception as e:  # noqa: BLE001 - the two must fail alike too
        return type(e).__name__, str(getattr(e, "message", e))


def test_every_option_is_taken_as_typers_own_coercion_takes_it(tmp_path, monkeypatch):
    from typer._click.core import Context
    from typer._coercion import build_runtime_param
    monkeypatch.chdir(tmp_path)
    group = typer.main.get_command(app)
    checked = 0
    for name in registry.NAMES:
        command = group.commands[name]
        ctx = Context(command, info_name=name)
        for param in command.get_params(ctx):
            plain = param._runtime_param
            assert plain is not None, (name, param.name)
            desc = param.type_descriptor
            kind = "parsed" if desc.parameter_info.parser else desc.annotation
            own = build_runtime_param(desc)
            for value in SAMPLES[kind] + [None]:
                assert _outcome(plain, value, param, ctx) == _outcome(own, value, param, ctx), (name, param.name, value)
                checked += 1
    assert checked > 500


def test_a_close_from_the_command_line_builds_no_pydantic_validator(tmp_path, monkeypatch):
    """The close's options reach the command as typed; typer's validator is never built for them."""
    import typer._coercion as coercion
    import typer.core
    from typer.testing import CliRunner
    built = []
    real = coercion.build_runtime_param
    for module in (coercion, typer.core):
        monkeypatch.setattr(module, "build_runtime_param", lambda desc: built.append(desc) or real(desc))
    from flows import cli
    result = CliRunner().invoke(cli.app, ["close", "--period", "2026-10", "--inbox", str(tmp_path / "brak"),
                                          "--db", str(tmp_path / "b.duckdb"), "--engine", "plain", "--unit", "U1"])
    assert result.exit_code == 1 and "skrzynki" in result.output, result.output
    assert built == []


def test_a_list_option_with_a_parser_is_left_to_typer():
    """typer applies an option's parser to each item of a list: such an option is left to it."""
    from flows.cli import PlainCommand, _number
    small = typer.Typer()

    @small.command(cls=PlainCommand)
    def numbers(n: Optional[list[int]] = typer.Option(None, "--n", parser=_number(1)), word: str = "x"):
        print(n, word)

    from typer.testing import CliRunner
    result = CliRunner().invoke(small, ["--n", "3", "--n", "4", "--word", "y"])
    assert result.exit_code == 0 and result.output.strip() == "[3, 4] y", result.output
