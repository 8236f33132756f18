"""Where a differencing disk's parent is: the paths its parent locators and header hold.

Windows tools write two locators, W2ku (absolute path) and W2ru (path relative to the
child's folder, ``.\\parent.vhd``), both UTF-16LE, and the parent's name in the header
(UTF-16BE). We write the same; reading, we accept ``\\`` and ``/`` and also try the parent's
file name next to the child, so a folder moved as a whole keeps working.
"""

from __future__ import annotations

import os

from hvlab.engine.storage.vhd_format import SECTOR, ParentLocator, PlatformCode

#: Locator data space we reserve per path (bytes), so a reconnect rarely has to move it.
LOCATOR_SPACE = 4096
#: A parent locator holds a path; anything larger than this is not one.
MAX_LOCATOR_LENGTH = 256 * 1024

#: Locator codes that hold a path we can use, best first.
PATH_CODES = (PlatformCode.W2RU, PlatformCode.W2KU, PlatformCode.MACX, PlatformCode.WI2R,
              PlatformCode.WI2K)
_RELATIVE_CODES = (PlatformCode.W2RU, PlatformCode.WI2R)


def locator_texts(child_path: str, parent_path: str) -> list[tuple[PlatformCode, str]]:
    """The W2ku (absolute) and W2ru (relative, Windows-style) paths of a parent."""
    parent_abs = os.path.abspath(parent_path)
    texts: list[tuple[PlatformCode, str]] = [(PlatformCode.W2KU, parent_abs)]
    try:
        relative = os.path.relpath(parent_abs, os.path.dirname(os.path.abspath(child_path)))
    except ValueError:  # another drive on Windows: no relative path exists
        return texts
    relative = relative.replace(os.sep, "\\")
    if not relative.startswith(".."):
        relative = ".\\" + relative
    texts.append((PlatformCode.W2RU, relative))
    return texts


def locator_space(length: int) -> int:
    """Bytes to reserve for a locator's data of ``length`` bytes."""
    return max(LOCATOR_SPACE, -(-length // SECTOR) * SECTOR)


def locator_room(loc: ParentLocator) -> int:
    """Bytes reserved behind a locator. The space field is bytes for Virtual PC and Hyper-V
    and sectors by the spec; the reading that still holds the data is used."""
    room = loc.data_space if loc.data_space >= loc.data_length else loc.data_space * SECTOR
    return max(loc.data_length, min(room, MAX_LOCATOR_LENGTH))


def candidate_paths(child_path: str, located: list[tuple[PlatformCode, str]],
                    parent_name: str) -> list[str]:
    """Paths to try for the parent, best first, from decoded locators and the header name."""
    folder = os.path.dirname(os.path.abspath(child_path))
    found = [native_path(text, folder, code in _RELATIVE_CODES) for code, text in located]
    if parent_name:
        found.append(native_path(parent_name, folder, False))
    # Last resort: the parent's file name next to the child (a folder moved as a whole).
    found.extend([os.path.join(folder, basename(path)) for path in found])
    unique: list[str] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def native_path(text: str, folder: str, relative: bool) -> str:
    """A path from a locator as this OS spells it; relative ones resolved against ``folder``."""
    if os.sep == "/":
        text = text.replace("\\", "/")
    if relative or not _looks_absolute(text):
        return os.path.normpath(os.path.join(folder, text))
    return os.path.normpath(text)


def _looks_absolute(text: str) -> bool:
    return os.path.isabs(text) or (len(text) > 2 and text[1] == ":" and text[2] in "\\/")


def basename(path: str) -> str:
    """The file name of a Windows or POSIX path."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]
