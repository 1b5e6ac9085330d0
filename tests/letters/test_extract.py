"""Text extraction and clean-up: real letters from the shared folder, hostile files made here."""

import io
import random

import pytest
from pypdf import PdfReader, PdfWriter

from search.letters.extract import (
    ExtractionError,
    clean_text,
    decode_text,
    extract_letter_text,
    extract_pdf_text,
    pdfium_text,
    pypdf_text,
)
from tests.conftest import seed_path


def blank_pdf(password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if password is not None:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- decode_text ---------------------------------------------------------------------------


def test_decode_utf8_with_and_without_bom():
    assert decode_text("Décision §".encode()) == "Décision §"
    assert decode_text(b"\xef\xbb\xbf" + "Décision".encode()) == "Décision"


def test_decode_falls_back_to_cp1252_then_latin1():
    assert decode_text(b"caf\xe9 \x93quoted\x94") == "caf\u00e9 \u201cquoted\u201d"
    # 0x81 is undefined in cp1252: only Latin-1 can decode it.
    data = b"caf\xe9 au lait, cr\xe8me br\xfbl\xe9e \x81"
    assert decode_text(data) == "caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e \x81"


def test_decode_utf16_with_bom():
    assert decode_text("Upheld".encode("utf-16")) == "Upheld"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x00\x00binary zip header",
        bytes(range(1, 32)) * 20,
        random.Random(7).randbytes(4096),
    ],
)
def test_decode_rejects_binary(data):
    with pytest.raises(ExtractionError) as caught:
        decode_text(data)
    assert caught.value.reason == "This is not a text file."


# --- clean_text ----------------------------------------------------------------------------


def test_clean_repairs_mojibake_and_spaces():
    text = "8 C.C.R. \u00c2\u00a7\u00c2\u00a79792.20\u00a0and\r\nnext line   \r\n"
    assert clean_text(text) == "8 C.C.R. \u00a7\u00a79792.20 and\nnext line"


def test_clean_keeps_html_entities_and_markup_as_text():
    assert clean_text("a &amp; b <script>x()</script>") == "a &amp; b <script>x()</script>"


def test_clean_collapses_double_spacing_but_keeps_paragraph_breaks():
    text = "First line\n\nsecond line\n\n \n\nNEXT HEADING\n\nbody one\n\nbody two\n\n"
    assert clean_text(text) == "First line\nsecond line\n\nNEXT HEADING\nbody one\nbody two"


def test_clean_double_spacing_keeps_a_wrapped_outcome_next_to_its_heading():
    text = "A\n\nB\n\nHEADING QUANTITY: 6.00:\nOverturned\n\n \n\nClaims line\n\nmore\n\n"
    assert clean_text(text) == "A\nB\nHEADING QUANTITY: 6.00:\nOverturned\n\nClaims line\nmore"


def test_clean_leaves_single_spaced_text_alone():
    text = "Line one\nline two\n\nNew paragraph\nand more"
    assert clean_text(text) == text


def test_clean_page_break_inside_a_sentence_does_not_split_the_paragraph():
    text = "the request for the topical\n\f \nanalgesic was denied.\n\nNext"
    assert clean_text(text) == "the request for the topical\nanalgesic was denied.\n\nNext"


def test_clean_page_break_inside_a_heading_does_not_split_it():
    text = "done.\n\nMRI of the\n\f\n \nLumbar spine: Upheld\n\nClaims Administrator guideline: x"
    assert "MRI of the\nLumbar spine: Upheld" in clean_text(text)


def test_clean_page_break_after_a_sentence_keeps_the_paragraph_break():
    text = "not medically necessary.\n\f \nX-rays of the lumbar spine: Upheld"
    assert clean_text(text) == "not medically necessary.\n\nX-rays of the lumbar spine: Upheld"


def test_clean_page_break_within_a_line_becomes_a_line_break():
    text = "MRI of the right hand: Upheld \fClaims Administrator guideline: Decision"
    assert (
        clean_text(text)
        == "MRI of the right hand: Upheld\nClaims Administrator guideline: Decision"
    )


def test_clean_removes_page_numbers_next_to_page_breaks_only():
    text = "the requested\nPage 1 of 3\n\fPage 2 of 3\ntreatment.\n12\nmore text"
    assert clean_text(text) == "the requested\ntreatment.\n12\nmore text"


# --- PDFs ----------------------------------------------------------------------------------


def test_extract_pdf_text_joins_pages_with_form_feeds(pdf_paths):
    path = next(p for p in pdf_paths if p.stem == "CM16-0234464")
    data = path.read_bytes()
    # PDFium leaves out the whitespace-only line that pypdf reads above the header.
    assert extract_pdf_text(data).startswith("Case Number: CM16-0234464")
    assert pypdf_text(data).startswith(" \nCase Number: CM16-0234464")
    for text in (extract_pdf_text(data), pypdf_text(data)):
        assert text.count("\f") == len(PdfReader(path).pages) - 1


def test_pdfium_line_end_hyphens_read_as_pypdf_reads_them(pdf_paths):
    # CM16-0244053 has a hyphenated word at a line end, which PDFium marks with U+FFFE.
    path = next(p for p in pdf_paths if p.stem == "CM16-0244053")
    text = pdfium_text(path.read_bytes())
    assert "\ufffe" not in text
    assert "x-\nrays" in text
    assert "x-\nrays" in pypdf_text(path.read_bytes())


def test_extract_never_returns_pdf_metadata(pdf_paths):
    path = pdf_paths[0]
    reader = PdfReader(path)
    reader.decrypt("")
    author = (reader.metadata or {}).get("/Author")
    assert author, "the sample is expected to carry an author name to hide"
    text = extract_letter_text(path.read_bytes(), path.name)
    assert str(author) not in text


def test_pdf_magic_wins_over_the_file_name(pdf_paths):
    path = pdf_paths[0]
    text = extract_letter_text(path.read_bytes(), "letter.txt")
    assert f"Case Number: {path.stem}" in text
    assert "\f" not in text


def test_truncated_pdf_is_rejected(pdf_paths):
    data = pdf_paths[0].read_bytes()
    with pytest.raises(ExtractionError) as caught:
        extract_letter_text(data[: len(data) // 2], "half.pdf")
    assert "damaged" in caught.value.reason or "no text layer" in caught.value.reason


def test_pdf_without_text_layer_is_rejected():
    with pytest.raises(ExtractionError) as caught:
        extract_letter_text(blank_pdf(), "scan.pdf")
    assert "no text layer" in caught.value.reason


def test_pdf_with_a_real_password_is_rejected():
    for extract in (extract_pdf_text, pdfium_text, pypdf_text):
        with pytest.raises(ExtractionError) as caught:
            extract(blank_pdf(password="secret"))
        assert "password" in caught.value.reason


def test_pdf_with_an_empty_password_is_read_by_both_extractors():
    for extract in (pdfium_text, pypdf_text):
        with pytest.raises(ExtractionError) as caught:
            extract(blank_pdf(password=""))
        assert "no text layer" in caught.value.reason  # opened and read, it just has no text


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.pdf", "The file is empty."),
        (b"   \n", "empty.txt", "The file is empty."),
        (b"just some text", "letter.pdf", "The file is named .pdf but is not a PDF."),
        (b"%PDF-1.7\n garbage that is no PDF", "broken.pdf", None),
        (random.Random(3).randbytes(2048), "noise.txt", "This is not a text file."),
        (random.Random(4).randbytes(2048), "noise.pdf", "The file is named .pdf but is not a PDF."),
    ],
)
def test_hostile_files_raise_extraction_error(data, name, reason):
    with pytest.raises(ExtractionError) as caught:
        extract_letter_text(data, name)
    assert isinstance(caught.value, ValueError)
    if reason is not None:
        assert caught.value.reason == reason
    else:
        assert "damaged" in caught.value.reason


def test_html_is_kept_as_text():
    data = b"<html><body><script>alert('x')</script>CLINICAL CASE SUMMARY</body></html>"
    assert extract_letter_text(data, "page.html") == data.decode()


# --- seeds ---------------------------------------------------------------------------------


def test_seed_text_is_cleaned(letters_dir):
    raw = seed_path(letters_dir, "001").read_bytes()
    assert "\u00c2\u00a7".encode() in raw
    text = extract_letter_text(raw, "001.txt")
    assert "\u00a7\u00a79792.20" in text
    assert "\u00c2" not in text
    lines = text.split("\n")
    # The double spacing is gone: most lines are followed by text, not by a blank line.
    blank_after = sum(1 for a, b in zip(lines, lines[1:], strict=False) if a and not b)
    assert blank_after < len(lines) / 5


def test_clean_text_fixes_as_ftfy_over_the_whole_text_does(pdf_paths, seed_paths):
    # ftfy runs only on lines that are not plain printable ASCII: the result must be what ftfy
    # over every line gives, on every sample letter and on lines that do need fixing.
    import ftfy

    def fully_fixed(text):
        return clean_text(ftfy.fix_text(text, unescape_html=False, uncurl_quotes=False))

    raw = [pdfium_text(path.read_bytes()) for path in pdf_paths]
    raw += [decode_text(path.read_bytes()) for path in seed_paths]
    raw.append(
        "Section \u00c2\u00a7\u00c2\u00a7 9792.24\r\nbell\x07 and \x1b[1mbold\x1b[0m\rend\n\fp2"
    )
    for text in raw:
        assert clean_text(text) == fully_fixed(text)
    assert clean_text(raw[-1]) == "Section \u00a7\u00a7 9792.24\nbell and bold\nend\np2"
