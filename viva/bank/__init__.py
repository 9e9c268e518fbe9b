"""The question bank: schema, loader and the built-in questions."""

from viva.bank.areas import AREA_IDS, AREAS, Area
from viva.bank.loader import BUILTIN_BANK, Bank, check_files, load_bank
from viva.bank.schema import Difficulty, KeyPoint, Kind, Misconception, Question

__all__ = [
    "AREAS",
    "AREA_IDS",
    "BUILTIN_BANK",
    "Area",
    "Bank",
    "Difficulty",
    "KeyPoint",
    "Kind",
    "Misconception",
    "Question",
    "check_files",
    "load_bank",
]
