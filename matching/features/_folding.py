"""Words of French, Arabic (and Darija) and English text reduced to comparable keys.

A *key* is what two words in any of the three languages must share to count as the same
word: the word is case-folded, stemmed by Snowball (``snowballstemmer``: the Arabic
stemmer for Arabic script, the French and the English stemmers for Latin script, whose
shorter stem is kept, so that "création", "creation" and "create" meet on "creat"), then
folded: Latin accents dropped, Arabic diacritics and tatweel dropped, alef variants,
taa marbuta and alef maqsura unified. Stop words of the three languages give no key.

Stemming needs the accents (Snowball's French rules read "-ité"), so a word is stemmed
before it is folded. :class:`KeyMaker` remembers each distinct word's key: texts repeat
words far more than a cohort has distinct words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import snowballstemmer

__all__ = ["KeyMaker", "fold", "words"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
"""A run of letters and digits (Arabizi writes sounds with digits: "n9ra")."""

_ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")

_ARABIC_FOLD = str.maketrans(
    {
        "\u0629": "\u0647",  # taa marbuta -> haa
        "\u0649": "\u064a",  # alef maqsura -> yaa
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0640": None,  # tatweel
    }
)


def fold(text: str) -> str:
    """Case-folded, without Latin accents or Arabic diacritics, alef variants unified.

    NFKD splits "é" into "e" and a combining accent, and "أ", "إ", "آ" into alef and a
    combining hamza or madda; dropping every combining mark then removes accents,
    harakat, shadda and hamza seats alike. Presentation forms become plain letters."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_ARABIC_FOLD)


def words(text: str) -> list[str]:
    """The text's words, case-folded (apostrophes and hyphens split: "d'entreprise")."""
    return _WORD.findall(text.casefold())


class KeyMaker:
    """Each word's key (None for a stop word), made once per distinct word.

    Parameters
    ----------
    stop_words
        Words that carry no topic ("de", "the", "في"), in any form: they are folded here.
    """

    def __init__(self, stop_words: Iterable[str] = ()) -> None:
        self._stop = frozenset(fold(w) for w in stop_words)
        self._french = snowballstemmer.stemmer("french")
        self._english = snowballstemmer.stemmer("english")
        self._arabic = snowballstemmer.stemmer("arabic")
        self._keys: dict[str, str | None] = {}

    def key(self, word: str) -> str | None:
        """The key of one case-folded word."""
        known = self._keys.get(word, "")
        if known != "":
            return known
        made = self._make(word)
        self._keys[word] = made
        return made

    def keys(self, text: str) -> list[str]:
        """The keys of a text's words, in order, stop words left out."""
        known, out = self._keys, []
        for word in _WORD.findall(text.casefold()):
            made = known.get(word, "")  # "" is never a key: not seen yet
            if made == "":
                made = self.key(word)
            if made is not None:
                out.append(made)
        return out

    def _make(self, word: str) -> str | None:
        folded = fold(word)
        if folded in self._stop or not folded:
            return None
        if folded.isdigit():
            return folded
        if _ARABIC_LETTERS.search(word):
            # The Arabic stemmer wants the letters without harakat or tatweel.
            return fold(self._arabic.stemWord(folded)) or folded
        french = fold(self._french.stemWord(word))
        english = fold(self._english.stemWord(folded))
        stem = min(french, english, key=len) or folded
        return None if stem in self._stop else stem

    def __getstate__(self) -> dict[str, frozenset[str]]:
        return {"stop": self._stop}

    def __setstate__(self, state: dict[str, frozenset[str]]) -> None:
        self.__init__(state["stop"])  # type: ignore[misc]
