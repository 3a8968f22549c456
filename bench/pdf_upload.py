"""Server time of checking one uploaded PDF of N pages (``check_pdf``: size, magic, the raw
scan, pypdf in a child process under its budget, SHA-256), production settings.

The PDF is written as raw objects (one page object per page sharing one content stream, a
flat page tree, a classic cross-reference table): 50,000 pages make about 7.8 MB, the file
of the issue. Each size is checked ``--repeat`` times; the median and the maximum are
printed with the outcome and the load average.

    .venv/bin/python bench/pdf_upload.py [--pages 10 1000 50000] [--repeat 5] [--unbounded]

``--unbounded`` also times what the portal did before (pypdf in process, ``len(pages)``).
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_pdf(pages: int) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def obj(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    content = b"BT /F1 12 Tf 72 720 Td (Page) Tj ET"
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages)
    obj(3, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    obj(4, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
    page += b"/Resources << /Font << /F1 4 0 R >> >> >>"
    for i in range(pages):
        obj(5 + i, page)
    size = 5 + pages
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 1_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--unbounded", action="store_true")
    args = parser.parse_args()
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfReader

    from applications.services.attachments import check_pdf

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for pages in args.pages:
        data = make_pdf(pages)
        times, outcome = [], ""
        for _ in range(args.repeat):
            upload = SimpleUploadedFile("bench.pdf", data, content_type="application/pdf")
            start = time.perf_counter()
            try:
                facts = check_pdf(upload=upload, max_bytes=20 * 1024 * 1024, max_pages=None)
                outcome = f"accepted, {facts.pages} pages"
            except ValidationError as error:
                outcome = f"refused ({error.code})"
            times.append(time.perf_counter() - start)
        line = (
            f"{pages:>7,} pages, {len(data) / 1e6:5.2f} MB: median {statistics.median(times):.3f} s,"
            f" max {max(times):.3f} s, {outcome}"
        )
        if args.unbounded:
            start = time.perf_counter()
            count = len(PdfReader(io.BytesIO(data)).pages)
            line += f"; unbounded pypdf len(pages) = {count}: {time.perf_counter() - start:.2f} s"
        print(line)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
