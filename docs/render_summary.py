"""Make docs/summary.png: the demo workbook's summary sheet as LibreOffice prints it.

Needs LibreOffice and poppler (Debian: ``apt-get install libreoffice-calc-nogui
poppler-utils``) and Pillow (installed with matplotlib, the dev extra). Run from the
repository root: ``python docs/render_summary.py [--labels ru|en]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pathlib
import shutil
import subprocess
import tempfile

from PIL import Image, ImageChops

from targetsms_frames.demo import run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default="ru", choices=["ru", "en"])
    parser.add_argument("--output", default=str(pathlib.Path(__file__).with_name("summary.png")))
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        raise SystemExit(
            "needs soffice and pdftoppm: apt-get install libreoffice-calc-nogui poppler-utils"
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        xlsx = work / "targetsms-demo.xlsx"
        with contextlib.redirect_stdout(io.StringIO()):
            run_demo(output=str(xlsx), labels=args.labels)
        profile = f"-env:UserInstallation={(work / 'lo').as_uri()}"
        subprocess.run(
            [soffice, "--headless", "--norestore", profile,
             "--convert-to", "pdf", "--outdir", tmp, str(xlsx)],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
             str(work / "targetsms-demo.pdf"), str(work / "summary")],
            check=True,
        )  # fmt: skip
        page = Image.open(work / "summary.png").convert("RGB")
    # Trim the page's white margins, keep a small border.
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        page = page.crop((max(left - 16, 0), max(top - 16, 0), right + 16, bottom + 16))
    page.save(args.output, optimize=True)
    print(f"wrote {args.output} ({page.width}×{page.height})")


if __name__ == "__main__":
    main()
