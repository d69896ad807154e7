"""DIMAP XML lookups whose failures name the file and the tag, for one-line error messages."""

import math
import re
from pathlib import Path
from typing import Self
from xml.etree import ElementTree

from ingest.limits import ingest_limits
from ingest.model import IngestError

# Internal entities are how a few kilobytes of XML expand to gigabytes ("billion laughs"),
# external ones how they read files of the machine: a DIMAP file declares neither.
CODECS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
ENTITY_DECLARATIONS = tuple("<!ENTITY".encode(codec) for codec in CODECS)

# A number as producers write it: a decimal point or comma, then maybe its unit ("12,5 deg").
NUMBER = re.compile(r"([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(?:%|°|[^\W\d_]+)?")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _same_name(path: Path) -> Path:
    """``path``, or the one file of its folder whose name differs from it by case only:
    deliveries made on case-insensitive disks write ``.tif`` for ``.TIF`` files."""
    if path.exists() or not path.parent.is_dir():
        return path
    matches = [p for p in path.parent.iterdir() if p.name.casefold() == path.name.casefold()]
    return matches[0] if len(matches) == 1 else path


class Node:
    """An element of a DIMAP document that remembers which file it came from."""

    def __init__(self, element: ElementTree.Element, file: Path) -> None:
        self.element = element
        self.file = file

    @classmethod
    def parse(cls, file: Path) -> Self:
        """The document's root, read within the ingest limits: the whole tree is held in
        memory, where an empty element takes 40 times its bytes and expat lets an entity
        expand a hundredfold."""
        limits = ingest_limits()
        try:
            if (size := file.stat().st_size) > limits.max_metadata_bytes:
                raise IngestError(
                    f"{file.name}: {size} bytes of XML, more than {limits.max_metadata_bytes} "
                    "(DINAMIS_INGEST_MAX_METADATA_BYTES)"
                )
            data = file.read_bytes()
        except OSError as error:
            raise IngestError(f"{file.name}: cannot read ({error.strerror})") from error
        # Every tag opens with a "<" byte in any encoding: counted before a tree is made.
        if (tags := data.count(b"<")) > limits.max_metadata_tags:
            raise IngestError(
                f"{file.name}: {tags} XML tags, more than {limits.max_metadata_tags} "
                "(DINAMIS_INGEST_MAX_METADATA_TAGS)"
            )
        if any(mark in data for mark in ENTITY_DECLARATIONS):
            raise IngestError(f"{file.name}: declares XML entities, which no DIMAP file does")
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise IngestError(f"{file.name}: not well-formed XML ({error})") from error
        # Some producers qualify DIMAP tags with a namespace; the lookups use the bare names.
        for element in root.iter():
            element.tag = _local(element.tag)
            for name in [n for n in element.attrib if n.startswith("{")]:
                element.attrib[_local(name)] = element.attrib.pop(name)
        return cls(root, file)

    @property
    def tag(self) -> str:
        return self.element.tag

    def find(self, path: str) -> Self | None:
        element = self.element.find(path)
        return None if element is None else type(self)(element, self.file)

    def findall(self, path: str) -> list[Self]:
        return [type(self)(element, self.file) for element in self.element.findall(path)]

    def text(self, path: str = ".") -> str | None:
        element = self.element.find(path)
        if element is None or element.text is None or not element.text.strip():
            return None
        return element.text.strip()

    def required(self, path: str) -> str:
        value = self.text(path)
        if value is None:
            raise IngestError(f"{self.file.name}: missing {path.rsplit('/', 1)[-1]}")
        return value

    def number(self, path: str = ".") -> float | None:
        value = self.text(path)
        if value is None:
            return None
        match = NUMBER.fullmatch(value)
        number = float(match.group(1).replace(",", ".")) if match else math.nan
        if not math.isfinite(number):
            tag = path.rsplit("/", 1)[-1] if path != "." else self.tag
            raise IngestError(f"{self.file.name}: {tag} is not a number ({value!r})")
        return number

    def required_number(self, path: str) -> float:
        value = self.number(path)
        if value is None:
            raise IngestError(f"{self.file.name}: missing {path.rsplit('/', 1)[-1]}")
        return value

    def href(self, path: str) -> str | None:
        element = self.element.find(path)
        return None if element is None else element.get("href")

    def local(self, href: str) -> Path:
        """The file ``href`` names in this document's folder or below it.

        A delivery names its own files only: an href leading out of the folder (``../``, an
        absolute path, a link to elsewhere) would have ingest read and publish any file of
        the machine, so it refuses the product.
        """
        shown = href if len(href) <= 80 else f"{href[:80]}..."
        folder = self.file.parent.resolve()
        try:
            inside = (folder / href).resolve().is_relative_to(folder)
            file = _same_name(self.file.parent / href) if inside else None
        except RuntimeError:  # pathlib's word for a loop of links
            raise IngestError(f"{self.file.name}: href {shown!r} is a loop of links") from None
        except OSError as error:  # a name too long...
            raise IngestError(f"{self.file.name}: href {shown!r}: {error.strerror}") from None
        if file is None:
            raise IngestError(f"{self.file.name}: {shown!r} leads outside the product folder")
        return file

    def delivered(self, path: str) -> Path | None:
        """The file an optional href points to, when it was delivered next to this one."""
        href = self.href(path)
        return file if href and (file := self.local(href)).is_file() else None


def numpy_dtype(nbits: int, signed: bool, floating: bool, source: str) -> str:
    """The smallest numpy type holding NBITS-bit samples, as GDAL stores them in a file."""
    if floating:
        if nbits not in (32, 64):
            raise IngestError(f"{source}: {nbits}-bit floating-point samples")
        return f"float{nbits}"
    for size in (8, 16, 32):
        if 0 < nbits <= size:
            return f"{'' if signed else 'u'}int{size}"
    raise IngestError(f"{source}: NBITS {nbits} is not a sample size")
