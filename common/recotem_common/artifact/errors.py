"""Why an artifact was refused or a request could not be served.

Every class derives from ``ArtifactError`` so callers can refuse any bad file with one
``except``; the subclasses let them tell an operator what to do about it.
"""

from __future__ import annotations


class ArtifactError(Exception):
    """A model artifact could not be read, verified or used."""


class ArtifactTampered(ArtifactError):
    """The bytes are not what was signed: damaged, edited, or not an artifact at all."""


class ArtifactTruncated(ArtifactError):
    """The file ends before the length its header announces."""


class ArtifactUnknownVersion(ArtifactError):
    """The file uses a format version this code cannot read."""


class ArtifactUnknownKey(ArtifactError):
    """The file was signed with a key id that none of the configured keys has."""


class UnsupportedOperation(ArtifactError):
    """The model's algorithm cannot answer this kind of request."""
