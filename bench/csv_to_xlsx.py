#!/usr/bin/python3
"""csv_to_xlsx.py IN.csv OUT.xlsx

Writes the CSV as a one-sheet .xlsx the way spreadsheet programs do: texts as shared strings, cells
with their r reference, empty cells left out, digit-only cells (phone numbers) as numbers. Only the
standard library, so validate_bench.sh can measure a workbook without LibreOffice.
"""
import csv
import sys
import zipfile
from xml.sax.saxutils import escape

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def column(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: csv_to_xlsx.py IN.csv OUT.xlsx", file=sys.stderr)
        return 2
    strings: dict[str, int] = {}
    rows = []
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for n, record in enumerate(csv.reader(f), start=1):
            cells = []
            for i, value in enumerate(record):
                ref = f"{column(i)}{n}"
                if value == "":
                    continue
                if value.isdigit() and not value.startswith("0"):
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                else:
                    index = strings.setdefault(value, len(strings))
                    cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            rows.append(f'<row r="{n}">{"".join(cells)}</row>')
    with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", f'<workbook {NS} {REL_NS}><sheets>'
                   '<sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>')
        shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        z.writestr("xl/sharedStrings.xml", f'<sst {NS} count="{len(strings)}">{shared}</sst>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{"".join(rows)}</sheetData></worksheet>')
    return 0


if __name__ == "__main__":
    sys.exit(main())
