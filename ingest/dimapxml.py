"""DIMAP XML lookups whose failures name the file and the tag, for one-line error messages."""

from pathlib import Path
from typing import Self
from xml.etree import ElementTree

from ingest.model import IngestError


class Node:
    """An element of a DIMAP document that remembers which file it came from."""

    def __init__(self, element: ElementTree.Element, file: Path) -> None:
        self.element = element
        self.file = file

    @classmethod
    def parse(cls, file: Path) -> Self:
        try:
            return cls(ElementTree.parse(file).getroot(), file)
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
        try:
            return float(value)
        except ValueError:
            tag = path.rsplit("/", 1)[-1] if path != "." else self.tag
            raise IngestError(f"{self.file.name}: {tag} is not a number ({value!r})") from None

    def required_number(self, path: str) -> float:
        value = self.number(path)
        if value is None:
            raise IngestError(f"{self.file.name}: missing {path.rsplit('/', 1)[-1]}")
        return value

    def href(self, path: str) -> str | None:
        element = self.element.find(path)
        return None if element is None else element.get("href")

    def delivered(self, path: str) -> Path | None:
        """The file an optional href points to, when it was delivered next to this one."""
        href = self.href(path)
        return self.file.parent / href if href and (self.file.parent / href).is_file() else None


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
