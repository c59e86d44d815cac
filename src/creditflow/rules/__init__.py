"""Statutory rule packs: collection costs, deadlines and late-payment interest per country.

One module per jurisdiction (:mod:`~creditflow.rules.nl`, :mod:`~creditflow.rules.be`,
:mod:`~creditflow.rules.de`, :mod:`~creditflow.rules.fr`, and :mod:`~creditflow.rules.eu` for the
Late Payment Directive floor), made of pure functions over :class:`~creditflow.Money` and dates.
Rates live in :class:`RateTable` values with effective dates; a period that spans a change uses
each part's rate.

:class:`StatutoryFee` and :class:`StatutoryInterest` plug the packs into dunning schemas: they
pick the law by the debtor's country and kind.
"""

from __future__ import annotations

from . import be, de, eu, fr, nl
from ._rates import RatePeriod, RateSpan, RateTable
from ._statutory import LETTER_STEP_MIN_GAP_DAYS, NlBusinessFee, StatutoryFee, StatutoryInterest

__all__ = [
    "LETTER_STEP_MIN_GAP_DAYS",
    "NlBusinessFee",
    "RatePeriod",
    "RateSpan",
    "RateTable",
    "StatutoryFee",
    "StatutoryInterest",
    "be",
    "de",
    "eu",
    "fr",
    "nl",
]
