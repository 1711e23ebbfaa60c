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


def _by_csv_module(data: bytes) -> list[tuple[int, list[str]]]:
    """What the csv module reads (the grid path is forced off by a quote in the header)."""
    header, _, body = data.partition(b"\n")
    return list(read(b'"' + header.replace(b",", b'",', 1) + b"\n" + body, "x.csv").rows)


def test_a_plain_grid_is_read_by_column_exactly_as_the_csv_module_reads_it() -> None:
    data = "证件号码,姓名,地址\r\n1, 张三 ,A1\r\n2,李四,\r\n3,,A3\r\n".encode()
    table = read(data, "p.csv")
    assert table.columns is not None and table.header == ["证件号码", "姓名", "地址"]
    assert list(table.rows) == _by_csv_module(data)
    assert table.columns[1] == [" 张三 ", "李四", ""] and table.size_hint == 3


def test_files_that_are_no_plain_grid_take_the_csv_module() -> None:
    for text in (
        "a,b\n1,2\n\n3,4\n",  # a blank line is no row
        "a,b\n1,2\n , \n",  # nor is a line of empty cells
        "a,b\n1,2,3\n4,5\n",  # one cell too many: reported by the engine
        "a,b\n1\n",  # one too few
        'a,b\n1,"x\ny"\n',  # a quoted cell over two lines
        "a,b\r1,2\r",  # old Mac line ends
    ):
        table = read(text.encode(), "x.csv")
        assert table.columns is None, text
