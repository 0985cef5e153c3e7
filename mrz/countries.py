"""Country codes allowed in the issuing-state and nationality fields.

ISO 3166-1 alpha-3 codes come from `pycountry` (a maintained data package); ICAO Doc 9303
Part 3 adds its own codes for Germany, British nationals, Kosovo, the EU, the UN and
stateless or unspecified holders. Loaded on first use so that `import mrz` stays cheap.
"""

from __future__ import annotations

from functools import cache

ICAO_CODES: dict[str, str] = {
    "D": "Germany",
    "GBD": "British Overseas Territories Citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas Citizen",
    "GBP": "British Protected Person",
    "GBS": "British Subject",
    "RKS": "Kosovo",
    "EUE": "European Union",
    "UNO": "United Nations Organization or its officials",
    "UNA": "Specialized agency of the United Nations",
    "UNK": "Resident of Kosovo (UNMIK)",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XCC": "Caribbean Community",
    "XCE": "Council of Europe",
    "XCO": "Common Market for Eastern and Southern Africa",
    "XEC": "Economic Community of West African States",
    "XPO": "International Criminal Police Organization",
    "XES": "Organisation of Eastern Caribbean States",
    "XMP": "Parliamentary Assembly of the Mediterranean",
    "XOM": "Sovereign Military Order of Malta",
    "XDC": "Southern African Development Community",
    "XXA": "Stateless person",
    "XXB": "Refugee (1951 Convention)",
    "XXC": "Refugee (other)",
    "XXX": "Unspecified nationality",
    "UTO": "Utopia (ICAO specimen documents)",
}


@cache
def known_codes() -> frozenset[str]:
    import pycountry

    return frozenset(country.alpha_3 for country in pycountry.countries) | frozenset(ICAO_CODES)


def is_known(code: str) -> bool:
    """`code` without its fillers (`D`, not `D<<`)."""
    return code in known_codes()
