from pathlib import Path

from accord.lib.env import REGISTRY

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_documents_every_setting():
    text = README.read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if f"`{name}`" not in text]
    assert not missing, f"README lacks {missing}: run `accord env_table` and update it"


def test_readme_starts_with_the_two_commands():
    head = README.read_text(encoding="utf-8")[:800]
    assert "make run" in head and "make test" in head
