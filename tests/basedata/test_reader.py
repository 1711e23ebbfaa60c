"""The CSV reader: Excel's quoting survives, whatever the header line looks like."""

from __future__ import annotations

from zhili.basedata.imports.reader import read


def test_doubled_quotes_inside_a_cell_stay_one_cell() -> None:
    # The header has no quotes, so a sniffed dialect would guess quoting rules from it and
    # split the quoted cell below at its doubled quotes.
    data = 'name,note\n张三,"住户说""楼道灯坏了"",已报修"\n'.encode()
    table = read(data, "people.csv")
    rows = list(table.rows)
    assert table.header == ["name", "note"]
    assert rows[0][1] == ["张三", '住户说"楼道灯坏了",已报修']


def test_tab_separated_files_are_still_recognised() -> None:
    table = read("name\tnote\n李四\t无\n".encode(), "people.csv")
    assert table.header == ["name", "note"]
    assert next(iter(table.rows))[1] == ["李四", "无"]
