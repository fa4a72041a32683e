"""`kiyaku terms show` and `terms list`, through the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kiyaku.cli import main


def show(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["terms", "show", *args])
    return result.exit_code, result.output


def test_show_json_nests_paragraphs_and_items() -> None:
    code, out = show("smacom:17", "--at", "2025-06-01", "--format", "json")
    assert code == 0
    v = json.loads(out)
    assert (v["id"], v["version"], v["name_ja"]) == ("smacom:17", "2025-04-01", "第17条")
    assert v["heading_ja"] == "利用停止"
    assert [p["id"] for p in v["provisions"]] == ["smacom:17.1", "smacom:17.2", "smacom:17.3"]
    items = v["provisions"][0]["provisions"]
    assert [i["id"] for i in items] == [f"smacom:17.1.{n}" for n in range(1, 6)]
    assert items[0]["text_ja"] == "料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき"
    assert v["text_ja"].startswith("当社は、契約者が次のいずれかに該当するときは、6ヶ月以内で")
    assert "(1) 料金その他の債務" in v["text_ja"]
    assert all(i["summary_en"] for i in items)


def test_show_text_names_parents_and_version() -> None:
    code, out = show("ts-cloudphone:23.2", "--at", "2016-01-01")
    assert code == 0
    assert out.splitlines()[0] == "ts-cloudphone:23.2  第23条第2項"
    assert "in 第23条（利用停止）" in out
    assert "in force from 2015-11-01" in out
    assert "催告を受けてもなお支払わないとき" in out


def test_abphone_condition_b_is_in_rev_1_0_without_text() -> None:
    code, out = show("abphone:23.1.B", "--at", "2015-06-01", "--format", "json")
    v = json.loads(out)
    assert code == 0
    assert (v["version_label"], v["in_force"], v["text_ja"]) == ("Rev. 1.0", True, None)
    code, out = show("abphone:23.1.B", "--at", "2016-01-01", "--format", "json")
    v = json.loads(out)
    assert (v["version_label"], v["in_force"]) == ("Rev. 1.1", False)
    assert [i["id"] for i in json.loads(show("abphone:23.1", "--at", "2016-01-01", "--format", "json")[1])
            ["provisions"]] == ["abphone:23.1.A"]


def test_a_date_before_the_corpus_says_so_and_shows_no_text() -> None:
    code, out = show("smacom:17.1.1", "--at", "2024-05-01", "--format", "json")
    v = json.loads(out)
    assert code == 0
    assert (v["version"], v["text_ja"], v["in_force"]) == ("2024-03-01", None, None)
    assert "is not in the corpus" in v["notes"][0]
    code, out = show("ts-cloudphone:23.2", "--at", "2015-10-31")
    assert code == 2
    assert "no version of ts-cloudphone was in force on 2015-10-31" in out


def test_unknown_citation_is_a_clear_error() -> None:
    code, out = show("smacom:17.9")
    assert code == 2
    assert "unknown provision smacom:17.9" in out


def test_list_gives_every_provision_in_order() -> None:
    result = CliRunner().invoke(main, ["terms", "list", "abphone", "--format", "json"])
    listing = json.loads(result.output)
    assert listing["root"]["origin"] == "working-directory"
    rows = listing["provisions"]
    ids = [r["id"] for r in rows]
    assert ids[0] == "abphone:1" and "abphone:11.2.G" in ids and "abphone:tariff-general.11" in ids
    assert ids.index("abphone:23.1.A") < ids.index("abphone:23.1.B") < ids.index("abphone:23.2")
