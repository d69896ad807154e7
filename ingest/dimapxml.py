"""DIMAP XML lookups whose failures name the file and the tag, for one-line error messages."""

import math
import re
from pathlib import Path
from typing import Self
from xml.etree import ElementTree

from ingest.limits import ingest_limits
from ingest.model import IngestError

CHUNK = 1 << 16

# A number as producers write it: a decimal point or comma, then maybe its unit ("12,5 deg").
NUMBER = re.compile(r"([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(?:%|°|[^\W\d_]+)?")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


class _Builder(ElementTree.TreeBuilder):
    """The tree of at most ``most`` elements, tags and attributes without their namespace:
    some producers qualify DIMAP tags with one, the lookups use the bare names."""

    def __init__(self, file: Path, most: int) -> None:
        super().__init__()
        self.file, self.most, self.left = file, most, most

    def start(self, tag: str, attrs: dict[str, str]) -> ElementTree.Element:
        self.left -= 1
        if self.left < 0:
            raise IngestError(
                f"{self.file.name}: more than {self.most} XML elements "
                "(DINAMIS_INGEST_MAX_METADATA_ELEMENTS)"
            )
        if any(name.startswith("{") for name in attrs):
            attrs = {_local(name): value for name, value in attrs.items()}
        return super().start(_local(tag), attrs)


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
        """The document's root; its bytes and elements within the ingest limits, since the
        whole tree is held in memory (deeply nested empty elements take 40 times their
        bytes)."""
        limits = ingest_limits()
        try:
            if (size := file.stat().st_size) > limits.max_metadata_bytes:
                raise IngestError(
                    f"{file.name}: {size} bytes of XML, more than {limits.max_metadata_bytes} "
                    "(DINAMIS_INGEST_MAX_METADATA_BYTES)"
                )
            parser = ElementTree.XMLParser(target=_Builder(file, limits.max_metadata_elements))
            with file.open("rb") as stream:
                while chunk := stream.read(CHUNK):
                    parser.feed(chunk)
            return cls(parser.close(), file)
        except ElementTree.ParseError as error:
            raise IngestError(f"{file.name}: not well-formed XML ({error})") from error
        except OSError as error:
            raise IngestError(f"{file.name}: cannot read ({error.strerror})") from error

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
        folder = self.file.parent.resolve()
        if not (folder / href).resolve().is_relative_to(folder):
            raise IngestError(f"{self.file.name}: {href!r} leads outside the product folder")
        return _same_name(self.file.parent / href)

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
