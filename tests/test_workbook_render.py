"""The demo workbook as a spreadsheet application shows and prints it (LibreOffice headless).

Run where LibreOffice and poppler are installed (Debian: ``apt-get install
libreoffice-calc-nogui poppler-utils``); elsewhere the test skips and says so.
``python docs/render_summary.py`` makes the README's picture the same way.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from targetsms_frames.demo import run_demo

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext", "pdfinfo"))

pytestmark = [
    pytest.mark.render,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SOFFICE and POPPLER),
        reason="needs LibreOffice (soffice) and poppler (pdftoppm, pdftotext, pdfinfo): "
        "apt-get install libreoffice-calc-nogui poppler-utils",
    ),
]


def to_pdf(xlsx, out_dir) -> tuple[subprocess.CompletedProcess, object]:
    profile = (out_dir / "lo-profile").as_uri()  # a private profile: no clash with a running office
    result = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", "pdf", "--outdir", str(out_dir), str(xlsx)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return result, out_dir / (xlsx.stem + ".pdf")


def page_text(pdf, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_demo_workbook_converts_cleanly_with_a_one_page_summary(tmp_path, capsys):
    xlsx = tmp_path / "demo.xlsx"
    run_demo(output=str(xlsx), recipients=200, labels="ru")
    capsys.readouterr()
    result, pdf = to_pdf(xlsx, tmp_path)
    said = result.stdout + result.stderr
    assert result.returncode == 0 and pdf.exists(), said
    assert f"convert {xlsx}" in said
    # LibreOffice says so when it has to repair or cannot read a file; it must say nothing.
    assert not re.search(r"repair|corrupt|damaged|error|could not", said, re.IGNORECASE), said

    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))  # fmt: skip
    first, second = page_text(pdf, 1), page_text(pdf, 2)
    # Page 1 is the whole summary: title, figures, chart (its title and legend) and the
    # last table; page 2 is already the next sheet, under its repeated header.
    for words in ("Итоги рассылки", "Деньги по рассылкам и каналам", "Viber", "SMS",
                  "Деньги по рассылкам, ₽", "Осенняя распродажа", "Напоминание о заказе"):  # fmt: skip
        assert words in first, words
    assert "Итоги рассылки" not in second and "Строка" in second and "Правило" in second
    assert pages < 40  # 200 recipients over five detail sheets, one page wide each

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5_000 for p in pngs)
    header = pngs[0].read_bytes()[16:24]  # PNG IHDR: width, height; landscape pages
    assert int.from_bytes(header[:4], "big") > int.from_bytes(header[4:], "big")
