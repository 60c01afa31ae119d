from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.cli.main import cli


async def test_schema_is_served_and_documents_errors(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    ready = schema["paths"]["/health/ready"]["get"]
    assert "503" in ready["responses"]
    assert "ErrorEnvelope" in json.dumps(ready["responses"]["503"])


def test_openapi_command_prints_the_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["openapi"], env={"LORE_DATA_DIR": str(tmp_path), "LORE_ENV": "test"})
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["info"]["title"] == "Lore API"
    assert "/health/live" in schema["paths"]
