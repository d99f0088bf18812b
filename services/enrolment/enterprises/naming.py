"""Name normalisation for duplicate detection."""

import re
import unicodedata

# Legal-form words that differ between two registrations of the same firm.
_LEGAL_FORMS = {
    "pvt", "private", "ltd", "limited", "plc", "inc", "llc", "llp", "co", "company",
    "corp", "corporation", "sa", "sarl", "srl", "gmbh", "bhd", "sdn", "the",
}  # fmt: skip


def normalise_name(name: str) -> str:
    """'Acme Textiles (Pvt.) Ltd.' and 'ACME TEXTILES' both become 'acme textiles'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).split()
    kept = [word for word in words if word not in _LEGAL_FORMS]
    return " ".join(kept or words)


def normalise_registration_number(number: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", number.upper())
