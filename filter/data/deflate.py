"""Writes filter/data/first_names.txt.deflate (raw deflate, level 9), the form in
which the module embeds the given-name list (37 KB of text, 15 KB deflated;
bench/SIZE.md). Run after changing first_names.txt:

    python3 filter/data/deflate.py

The test `prose::first_names_deflated::first_names_deflated_is_the_list` fails until it is rerun.
"""
import os
import zlib

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "first_names.txt"), "rb") as f:
    text = f.read()
c = zlib.compressobj(9, zlib.DEFLATED, -15)
with open(os.path.join(here, "first_names.txt.deflate"), "wb") as f:
    f.write(c.compress(text) + c.flush())
