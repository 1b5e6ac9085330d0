"""Turn an uploaded letter (PDF or text file) into clean text for the letter parser.

Three steps, each usable alone: `extract_pdf_text` or `decode_text` get the raw text out,
`clean_text` repairs what PDF-to-text conversion does to it (mojibake, double spacing, page
breaks), and `extract_letter_text` picks the right path for a file.

PDFs are read with PDFium (`pdfium_text`), some 16 times faster than pypdf on the posted letters
and, once its line-end hyphens are written as pypdf writes them, parsed identically on every one of
them (BENCHMARKS.md, "PDF extraction"); pypdf (`pypdf_text`) reads the files PDFium cannot.

PDF metadata is never read: the posted letters carry a personal author name there.
"""

from __future__ import annotations

import io
import re
import threading
import warnings

import ftfy
import pypdfium2
import pypdfium2.raw as pdfium_raw

PAGE_BREAK = "\f"

# How much of a decoded file may be control characters before it counts as binary.
MAX_CONTROL_CHAR_RATIO = 0.05

# Line ends that close a sentence or a labelled field; a page ending anywhere else is
# continued on the next page, so the blank lines at that page break are not a paragraph break.
_ENDS_BLOCK = re.compile(r"""[.!?:;]["'”’)\]]*$""")
# Page furniture some PDF producers put at the top or bottom of a page.
_PAGE_NUMBER_LINE = re.compile(r"^\s*(?:page\s+\d+(?:\s+of\s+\d+)?|-\s*\d+\s*-|\d{1,3})\s*$", re.I)
_ODD_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000\t]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_PLAIN_LINE = re.compile(r"[\t\x20-\x7e]*\r?\n?")
_FORM_FEED = re.compile(r"\n?[ ]*\f([ ]*\n)?")
# PDFium writes a hyphen that ends a line as U+FFFE and drops the line break after it; pypdf
# keeps both, and the parser (unwrap.py) decides whether the hyphen joins a word.
_PDFIUM_LINE_END_HYPHEN = "\ufffe"
# PDFium is not thread-safe; ingest reads PDFs in worker processes, but a caller may use threads.
_PDFIUM_LOCK = threading.Lock()

LOCKED_PDF = "The PDF is protected by a password."
NO_TEXT_LAYER = (
    "The PDF has no text layer (it is probably a scanned image); upload a PDF with selectable text."
)


class ExtractionError(ValueError):
    """The file's text could not be extracted; `reason` is a sentence for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def extract_pdf_text(data: bytes) -> str:
    """The text of every page, pages joined with a form feed. Metadata is never touched.

    PDFium first; a file it cannot open or finds no text in goes to pypdf, whose reason (damaged,
    no text layer) the user sees when it fails too. A password stays a password for both."""
    try:
        return pdfium_text(data)
    except ExtractionError as exc:
        if exc.reason == LOCKED_PDF:
            raise
    return pypdf_text(data)


def pdfium_text(data: bytes) -> str:
    """The pages' text as PDFium reads it, line-end hyphens written as pypdf writes them."""
    with _PDFIUM_LOCK:
        try:
            # The posted letters are encrypted with an empty password, which PDFium tries itself.
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            if exc.err_code == pdfium_raw.FPDF_ERR_PASSWORD:
                raise ExtractionError(LOCKED_PDF) from exc
            raise ExtractionError(_damaged(exc)) from exc
        try:
            pages = []
            for page in document:
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range())
                textpage.close()
                page.close()
        except pypdfium2.PdfiumError as exc:
            raise ExtractionError(_damaged(exc)) from exc
        finally:
            document.close()
    text = PAGE_BREAK.join(pages).replace(_PDFIUM_LINE_END_HYPHEN, "-\n")
    if not text.strip():
        raise ExtractionError(NO_TEXT_LAYER)
    return text


def pypdf_text(data: bytes) -> str:
    """The pages' text as pypdf reads it (the extractor before PDFium, kept as the fallback)."""
    # Imported here: the reader processes start by importing this module, and only the files
    # PDFium cannot read need pypdf (a twentieth of a second to import).
    from pypdf import PasswordType, PdfReader

    # pypdf raises dozens of exception types on damaged files and warns on odd ones; either
    # way the answer for the user is the same, so all of them become an ExtractionError.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                # Posted letters are encrypted with an empty password; anything else is locked.
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    raise ExtractionError(LOCKED_PDF)
            pages = [page.extract_text() or "" for page in reader.pages]
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise ExtractionError(_damaged(exc)) from exc
    text = PAGE_BREAK.join(pages)
    if not text.strip():
        raise ExtractionError(NO_TEXT_LAYER)
    return text


def _damaged(exc: Exception) -> str:
    return f"The PDF is damaged or incomplete and could not be read ({type(exc).__name__})."


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ExtractionError("This is not a text file.") from exc
    if b"\x00" in data:
        raise ExtractionError("This is not a text file.")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if _looks_binary(text):
        raise ExtractionError("This is not a text file.")
    return text


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    control = sum(1 for ch in text if not ch.isprintable() and ch not in "\n\r\t\f")
    return control / len(text) > MAX_CONTROL_CHAR_RATIO


def clean_text(text: str) -> str:
    """Repair extracted letter text so that lines and blank lines mean what they look like.

    - mojibake is repaired (``Â§Â§`` becomes ``§§``); HTML entities and quotes are left as
      written, the text is never interpreted as markup;
    - line endings become ``\\n``; non-breaking and other odd spaces become plain spaces;
    - text where nearly every line is followed by one empty line (some text exports of the
      letters) loses that double spacing; a whitespace-only line, which those exports use
      between sections, stays as a paragraph break;
    - trailing spaces go; several blank lines become one;
    - page breaks (form feeds) go, with page-number lines next to them, and the blank lines
      around a break go too when the page ended mid-sentence, so a heading or paragraph that
      runs over a page stays in one piece.

    Leading spaces and hard line wraps are kept: the parser unwraps paragraphs itself.
    """
    text = _fix_mojibake(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ODD_SPACES.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    # A form feed becomes a line of its own, whether or not the page ended with a newline; a
    # page that starts with a whitespace-only line starts with a blank line.
    text = _FORM_FEED.sub(lambda m: "\n\f\n\n" if m.group(1) else "\n\f\n", text)
    lines = text.rstrip().split("\n")
    if _is_double_spaced(lines):
        lines = _undo_double_spacing(lines)
    lines = _join_pages(lines)
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")


def _fix_mojibake(text: str) -> str:
    """ftfy's fix_text, which fixes each line on its own, run on the lines that can need it.

    A line of printable ASCII (tabs and a CRLF or LF end allowed) holds nothing ftfy changes in
    the clean text: no mojibake, control or odd character; its line end becomes LF below anyway.
    Most letter lines are such lines, and ftfy took as long as PDFium's extraction on them."""
    lines = text.split("\n")
    fixed = []
    for index, line in enumerate(lines):
        segment = line if index == len(lines) - 1 else line + "\n"
        if _PLAIN_LINE.fullmatch(segment):
            fixed.append(segment)
        elif segment:
            fixed.append(ftfy.fix_text(segment, unescape_html=False, uncurl_quotes=False))
    return "".join(fixed)


def _is_double_spaced(lines: list[str]) -> bool:
    """True when nearly every non-empty line is followed by exactly one empty line."""
    content = 0
    followed_by_one_empty = 0
    for index, line in enumerate(lines):
        if line == "" or line == PAGE_BREAK:
            continue
        content += 1
        after = lines[index + 1 : index + 3]
        if not after or (after[0] == "" and (len(after) < 2 or after[1] != "")):
            followed_by_one_empty += 1
    return content >= 4 and followed_by_one_empty >= 0.8 * content


def _undo_double_spacing(lines: list[str]) -> list[str]:
    kept: list[str] = []
    previous = ""
    for line in lines:
        # Drop the one empty line that follows every real line; keep any further ones.
        if line == "" and previous not in ("", PAGE_BREAK):
            previous = "\x00"  # the next empty line, if any, is a real one
            continue
        kept.append(line)
        previous = line
    return kept


def _join_pages(lines: list[str]) -> list[str]:
    if PAGE_BREAK not in lines:
        return lines
    pages: list[list[str]] = [[]]
    for line in lines:
        if line == PAGE_BREAK:
            pages.append([])
        else:
            pages[-1].append(line)
    joined: list[str] = []
    for page in pages:
        page = _strip_page_furniture(page)
        if joined and page:
            last = _last_content_line(joined)
            first = _first_content_line(page)
            if last is not None and first is not None and not _ENDS_BLOCK.search(last.rstrip()):
                # The page ended mid-sentence: glue the next page's text on directly.
                while joined and not joined[-1].strip():
                    joined.pop()
                page = page[first:]
        joined.extend(page)
    return joined


def _strip_page_furniture(page: list[str]) -> list[str]:
    """Drop page-number lines at the top and bottom of one page."""
    start, end = 0, len(page)
    while start < end and (not page[start].strip() or _PAGE_NUMBER_LINE.match(page[start])):
        if _PAGE_NUMBER_LINE.match(page[start]):
            del page[start]
            end -= 1
            continue
        start += 1
    while end > start and (not page[end - 1].strip() or _PAGE_NUMBER_LINE.match(page[end - 1])):
        if _PAGE_NUMBER_LINE.match(page[end - 1]):
            del page[end - 1]
        end -= 1
    return page


def _last_content_line(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if line.strip():
            return line
    return None


def _first_content_line(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if line.strip():
            return index
    return None


def extract_letter_text(data: bytes, filename: str) -> str:
    """Clean text of an uploaded letter; the ``%PDF`` signature wins over the file name."""
    if not data or not data.strip():
        raise ExtractionError("The file is empty.")
    if b"%PDF-" in data[:1024]:
        raw = extract_pdf_text(data)
    elif filename.lower().endswith(".pdf"):
        raise ExtractionError("The file is named .pdf but is not a PDF.")
    else:
        raw = decode_text(data)
    text = clean_text(raw)
    if not text.strip():
        raise ExtractionError("The file contains no text.")
    return text
