"""`lore users` and `lore api-keys` against the test stores."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from entrypoints.cli.main import cli

PASSWORD = "operator chosen passphrase"


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(cli, list(args), input=stdin)


def test_users_lifecycle(lore: CliRunner) -> None:
    created = invoke(
        lore, "users", "create", "--email", "Root@Example.org", "--admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert created.exit_code == 0, created.output
    assert "created admin root@example.org" in created.output
    prompted = invoke(lore, "users", "create", "--email", "ann@example.org", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert "created member ann@example.org" in prompted.output

    listed = invoke(lore, "users", "list")
    lines = [line for line in listed.output.splitlines() if "@" in line]
    assert len(lines) == 2
    assert "admin" in lines[1]
    assert "verified" in lines[1]

    assert "is now editor" in invoke(lore, "users", "set-role", "ann@example.org", "editor").output
    assert "deactivated" in invoke(lore, "users", "deactivate", "ann@example.org").output
    inactive = invoke(lore, "users", "list", "--inactive")
    assert "ann@example.org" in inactive.output
    assert "root@example.org" not in inactive.output


def test_user_errors_are_one_line(lore: CliRunner) -> None:
    weak = invoke(lore, "users", "create", "--email", "a@example.org", "--password-stdin", stdin="password\n")
    assert weak.exit_code == 1
    assert "WEAK_PASSWORD" in weak.output
    missing = invoke(lore, "users", "set-role", "ghost@example.org", "admin")
    assert missing.exit_code == 1
    assert "no user with email ghost@example.org" in missing.output


def test_api_keys_lifecycle(lore: CliRunner) -> None:
    invoke(
        lore,
        "users",
        "create",
        "--email",
        "ann@example.org",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    created = invoke(
        lore, "api-keys", "create", "--email", "ann@example.org", "--name", "ci", "--scope", "documents:write",
        "--expires-in-days", "30",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    key_id, secret = created.stdout.split()
    assert secret.startswith("lore_")
    listed = invoke(lore, "api-keys", "list", "--email", "ann@example.org")
    assert key_id in listed.output
    assert "documents:write" in listed.output
    assert "active" in listed.output
    assert secret not in listed.output
    assert invoke(lore, "api-keys", "revoke", key_id).exit_code == 0
    assert "revoked" in invoke(lore, "api-keys", "list", "--email", "ann@example.org").output

    too_much = invoke(lore, "api-keys", "create", "--email", "ann@example.org", "--name", "x", "--scope", "users:write")
    assert too_much.exit_code == 1
    assert "SCOPE_NOT_ALLOWED" in too_much.output


def test_configuration_errors_are_reported(tmp_path: Path) -> None:
    result = CliRunner(env={"LORE_ENV": "production", "LORE_DATA_DIR": str(tmp_path)}).invoke(cli, ["users", "list"])
    assert result.exit_code == 1
    assert "configuration error: DATABASE_URL" in result.output
