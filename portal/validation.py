"""Checks of what applicants type: identifiers, e-mail addresses, names."""

import re

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


def valid_email(value: str) -> bool:
    return bool(EMAIL.match(value)) and len(value) <= 320


def valid_siret(value: str) -> bool:
    """14 digits whose Luhn checksum holds (La Poste's SIRETs excepted by INSEE's own rule)."""
    digits = value.replace(" ", "")
    if not re.fullmatch(r"\d{14}", digits):
        return False
    if digits.startswith("356000000"):  # La Poste: the digits sum to a multiple of 5
        return sum(int(d) for d in digits) % 5 == 0
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0
