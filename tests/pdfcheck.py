#!/usr/bin/env python3
"""Prints what a PDF claims about archiving and accessibility, as JSON, for tests to compare.

Usage: pdfcheck.py FILE.pdf

Needs pikepdf (scripts/tools.sh `ensure_pikepdf` makes $TIA_PYTHON with it). Keys:
  pdfa      part and conformance from XMP pdfaid, e.g. "2B"; null when absent
  pdfua     XMP pdfuaid:part, e.g. "1"; null when absent
  title     XMP dc:title (the Info dictionary's /Title when there is no XMP)
  author    XMP dc:creator, its entries joined with ", " (else /Author)
  subject   XMP dc:description (else /Subject)
  keywords  XMP pdf:Keywords (else /Keywords)
  lang      the catalog's /Lang
  headings  heading structure elements in document order: "H1".."H6", "H", or typst's "H7",
            "H8"… (which its RoleMap maps to /P); other types are resolved through the RoleMap
  figures   the /Alt of every /Figure structure element in document order (null when missing)
  fonts     sorted names of the fonts the pages use, subset tag removed: a Type0 font by its
            descendant's /BaseFont, a Type3 font by its /Name (or "Type3")
Exits 2 when the file cannot be read as a PDF.
"""

import json
import re
import sys

import pikepdf

HEADING = re.compile(r"^H[0-9]*$")
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def text(value):
    if value is None:
        return None
    value = str(value)
    return value if value != "" else None


def xmp_and_info(pdf):
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    except Exception:  # broken or missing XMP: fall back to the Info dictionary alone
        meta = {}
    info = pdf.docinfo if "/Info" in pdf.trailer else {}

    def get(key, info_key=None):
        try:
            value = meta.get(key)
        except Exception:
            value = None
        if isinstance(value, (list, set, tuple)):
            value = ", ".join(str(v) for v in value)
        if value in (None, "") and info_key is not None:
            value = info.get(info_key)
        return text(value)

    part, conformance = get("pdfaid:part"), get("pdfaid:conformance")
    return {
        "pdfa": (part + (conformance or "").upper()) if part else None,
        "pdfua": get("pdfuaid:part"),
        "title": get("dc:title", "/Title"),
        "author": get("dc:creator", "/Author"),
        "subject": get("dc:description", "/Subject"),
        "keywords": get("pdf:Keywords", "/Keywords"),
    }


def name_of(obj):
    return str(obj)[1:] if isinstance(obj, pikepdf.Name) else str(obj)


def structure(pdf):
    """Returns (headings, figures) from the structure tree, walked depth first in order."""
    headings, figures = [], []
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return headings, figures
    role_map = {}
    rm = root.get("/RoleMap")
    if isinstance(rm, pikepdf.Dictionary):
        role_map = {name_of(k): name_of(v) for k, v in rm.items()}

    def resolve(kind):
        seen = set()
        while kind in role_map and kind not in seen:
            seen.add(kind)
            kind = role_map[kind]
        return kind

    def children(node):
        kids = node.get("/K")
        if kids is None:
            return []
        return list(kids) if isinstance(kids, pikepdf.Array) else [kids]

    visited = set()
    stack = list(reversed(children(root)))
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            continue  # marked-content ids, MCR and OBJR references
        if node.is_indirect:
            if node.objgen in visited:
                continue
            visited.add(node.objgen)
        own = name_of(node.S)
        kind = resolve(own)
        if HEADING.match(own):
            headings.append(own)
        elif re.match(r"^H[1-6]?$", kind):
            headings.append(kind)
        if kind == "Figure":
            figures.append(text(node.get("/Alt")))
        stack.extend(reversed(children(node)))
    return headings, figures


def font_names(pdf):
    names = set()
    seen = set()

    def font_name(font):
        subtype = font.get("/Subtype")
        if subtype == "/Type0" and "/DescendantFonts" in font:
            base = font.DescendantFonts[0].get("/BaseFont")
        elif subtype == "/Type3":
            base = font.get("/Name") or font.get("/BaseFont")
            if base is None:
                return "Type3"
        else:
            base = font.get("/BaseFont")
        return SUBSET_TAG.sub("", name_of(base)) if base is not None else "(unnamed)"

    def walk_resources(resources):
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for font in fonts.values():
                if not isinstance(font, pikepdf.Dictionary):
                    continue
                names.add(font_name(font))
                if font.get("/Subtype") == "/Type3":
                    walk_resources(font.get("/Resources"))
        xobjects = resources.get("/XObject")
        if isinstance(xobjects, pikepdf.Dictionary):
            for xobj in xobjects.values():
                if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == "/Form":
                    walk_resources(xobj.get("/Resources"))
        patterns = resources.get("/Pattern")
        if isinstance(patterns, pikepdf.Dictionary):
            for pattern in patterns.values():
                if isinstance(pattern, pikepdf.Stream):
                    walk_resources(pattern.get("/Resources"))

    for page in pdf.pages:
        walk_resources(page.obj.get("/Resources"))
        for annot in page.obj.get("/Annots", []):
            ap = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            normal = ap.get("/N") if isinstance(ap, pikepdf.Dictionary) else None
            if isinstance(normal, pikepdf.Stream):
                walk_resources(normal.get("/Resources"))
    return sorted(names)


def check(path):
    with pikepdf.open(path) as pdf:
        result = xmp_and_info(pdf)
        result["lang"] = text(pdf.Root.get("/Lang"))
        result["headings"], result["figures"] = structure(pdf)
        result["fonts"] = font_names(pdf)
    return result


def main(argv):
    if len(argv) != 2:
        print("usage: pdfcheck.py FILE.pdf", file=sys.stderr)
        return 2
    try:
        result = check(argv[1])
    except (OSError, pikepdf.PdfError) as e:
        print(f"pdfcheck: {argv[1]}: {e}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
