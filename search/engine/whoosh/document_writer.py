"""SegmentWriter.add_document, with a field's postings handed to the pool all at once.

Whoosh's add_document builds a (field, term, docnum, weight, value) tuple for every posting and
calls the pool once for each: about 800 calls an item here, a fifth of an ingest's index update.
When the pool is segment_writer.TermPool, `add_document` hands it each field's postings in one
call (TermPool.add_field), which files them the same way; with any other pool it does exactly
what Whoosh does. Everything else is Whoosh 2.7.5's add_document, unchanged: patches.install()
puts it in place, and tests/engine/whoosh/test_segment_writer.py checks that the segment files
stay the same, byte for byte.
"""

from __future__ import annotations

from whoosh.util.text import utf8encode


def add_document(self, **fields):
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    pool = self.pool
    add_field = getattr(pool, "add_field", None)

    docboost = self._doc_boost(fields)
    fieldnames = sorted([name for name in fields.keys() if not name.startswith("_")])
    self._check_fields(schema, fieldnames)

    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]

            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                items = field.index(value)
                # A field with separate spelling words reuses the last posting's value below
                # (as Whoosh does): it takes Whoosh's own loop.
                if add_field is not None and not field.separate_spelling():
                    frequencies = add_field(fieldname, docnum, items, fieldboost)
                    if field.scorable:
                        length = frequencies
                else:
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in items:
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        pool.add((fieldname, tbytes, docnum, weight, vbytes))

            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    word = utf8encode(word)[0]
                    pool.add((spellfield, word, 0, 1, vbytes))

            vformat = field.vector
            if vformat:
                analyzer = field.analyzer
                vitems = vformat.word_values(value, analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)

            customval = fields.get(f"_stored_{fieldname}", value)
            sv = customval if field.stored else None
            perdocwriter.add_field(fieldname, field, sv, length)

            column = field.column_type
            if column and customval is not None:
                cv = field.to_column_value(customval)
                perdocwriter.add_column_value(fieldname, column, cv)
    except Exception:
        perdocwriter.cancel_doc()
        raise

    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1
