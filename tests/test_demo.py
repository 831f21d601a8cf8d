"""`make demo` runs `xxgk demo`: the whole product on the built-in simulated university."""
from __future__ import annotations

import json

from tests.conftest import run_xxgk


def test_demo_runs_to_the_end_without_serving(tmp_path):
    out = run_xxgk("demo", "--no-serve", "--dir", str(tmp_path / "demo"), timeout=300)
    text = out.stdout
    assert "模拟大学网站已启动" in text
    assert text.count("：完成") == 2, text            # two scans, both finished
    assert "未变（304）" in text and "事项状态" in text
    assert "示例大学：清单 61 项，截至 2019-10-15" in text
    truth = json.loads((tmp_path / "demo" / "ground-truth.json").read_text(encoding="utf-8"))
    not_ok = {i for i, it in truth["items"].items() if it["status"] != "ok"}
    listed = {line.split("] ")[1].split(" ")[0] for line in text.splitlines() if line.startswith("  [")}
    assert listed == not_ok, (listed, not_ok)
    assert (tmp_path / "demo" / "xxgk.yaml").exists() and (tmp_path / "demo" / "xxgk.db").exists()
