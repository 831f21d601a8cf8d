"""Issue 16, the fleet file (monitor/fleet/fleetfile.py): which schools a fleet runs and where their data goes.
Errors name the file, the line and the field; every school is loaded with the fleet's database in place."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import fleet_school_config, stopped_fleet_school

AS_OF = "2019-10-15"


_school_config = fleet_school_config
_stopped_school = stopped_fleet_school


def _problems(tmp_path: Path, text: str) -> list[str]:
    from monitor.config import ConfigError
    from monitor.fleet.fleetfile import load_fleet

    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_fleet(path)
    return err.value.problems


def test_fleet_file_errors_name_the_file_the_line_and_the_field(tmp_path):
    (tmp_path / "schools").mkdir()
    _stopped_school(tmp_path / "schools" / "hnu.yaml")
    (tmp_path / "broken.yaml").write_text("school: 坏大学\ndisclosure_site: ftp://x\n", encoding="utf-8")
    problems = _problems(tmp_path, "\n".join([
        "name: 某省",
        "broker: http://127.0.0.1:6379/0",
        "database: mysql://db/xxgk",
        "schools:",
        "  - schools/hnu.yaml",
        "  - {conf: schools/hnu.yaml}",
        "  - {config: schools/hnu.yaml, key: HNU}",
        "  - {config: schools/gone.yaml}",
        "  - broken.yaml",
        "lock_ttl_seconds: 1",
        "",
    ]))
    f = str(tmp_path / "fleet.yaml")
    assert problems[:6] == [
        f"{f}:2: broker: 应为 redis:// 或 rediss:// 开头并带主机名的地址，实际为 'http://127.0.0.1:6379/0'",
        f"{f}:3: database: 不支持的数据库地址 'mysql://db/xxgk'（应为 postgresql:// 或文件夹路径）",
        f"{f}:6: schools[1].config: 缺少必填字段",
        f"{f}:6: schools[1].conf: 未知字段 \"conf\"，允许的字段：config、key、time_limit_minutes；是不是想写 \"config\"？",
        f"{f}:7: schools[2].key: 应为 1–40 个小写字母、数字或下划线，实际为 文本 'HNU'",
        f"{f}:10: lock_ttl_seconds: 应不小于 2，实际为 1",
    ]
    # the model errors come first; once the fields are right, the schools themselves are checked
    problems = _problems(tmp_path, "schools:\n  - schools/hnu.yaml\n  - {config: schools/gone.yaml}\n"
                                   "  - broken.yaml\n  - {config: schools/hnu.yaml}\nfolder: nowhere\n")
    assert problems[0] == f"{f}:3: schools[1].config: 找不到学校配置文件 schools/gone.yaml"
    assert problems[1] == f"{f}:6: folder: 找不到文件夹 nowhere"
    assert problems[2] == f"{f}:4: schools[2]: 学校 broken 的配置有误："
    assert problems[3].startswith(f"  {tmp_path / 'broken.yaml'}:2: disclosure_site:")   # the school's own lines
    assert problems[-1] == f"{f}:5: schools[3]: 学校代号 'hnu' 重复（第 2 行已使用）；请用 key: 指定不同的代号"
    assert _problems(tmp_path, "name: x\n") == [f"{f}:1: schools: 没有列出任何学校（schools: 列出配置文件，或 folder: 指定文件夹）"]


def test_fleet_file_places_each_school_in_the_fleet_database(tmp_path):
    from monitor.fleet.fleetfile import load_fleet, load_school
    from monitor.testbed import Testbed

    (tmp_path / "schools").mkdir()
    with Testbed(as_of=AS_OF, seed=3, layouts="generated") as tb:
        _school_config(tb, tmp_path / "schools" / "csu-main.yaml")
        own = tb.write_config(tmp_path / "schools" / "own.yaml", database=str(tmp_path / "own.db"))
    (tmp_path / "fleet.yaml").write_text(
        "database: postgresql://xxgk@db.example.edu.cn:5432/xxgk\ntime_limit_minutes: 30\n"
        "schools:\n  - {config: schools/csu-main.yaml, key: csu, time_limit_minutes: 5}\nfolder: schools\n",
        encoding="utf-8")
    fleet = load_fleet(tmp_path / "fleet.yaml")
    assert fleet.keys == ["csu", "own"]          # the folder adds own.yaml, not csu-main.yaml twice nor catalogs
    assert [s.time_limit for s in fleet.schools] == [300.0, 1800.0]
    assert fleet.visibility_timeout == 1800.0 + 600
    csu = load_school(fleet.school("csu"))
    assert csu.database_label == "postgresql://xxgk@db.example.edu.cn:5432/xxgk（schema school_csu）"
    assert load_school(fleet.school("own")).database_target == own.parent.parent / "own.db"  # its own wins
    assert "XXGK_DATABASE" not in os.environ
