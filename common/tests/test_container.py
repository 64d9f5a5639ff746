"""A signed artifact round-trips, and any file that must not be trusted is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse as sps

from recotem_common.artifact import (
    FORMAT_VERSION,
    ArtifactError,
    ArtifactTampered,
    ArtifactTruncated,
    ArtifactUnknownKey,
    ArtifactUnknownVersion,
    ModelArtifact,
    SigningKey,
    container,
    read_artifact,
    resign_artifact,
    signing_keys,
    write_artifact,
)

from .conftest import SECRET_KEY, FitModel


@pytest.fixture(scope="module")
def small_model() -> ModelArtifact:
    from irspack import IALSRecommender

    from recotem_common.artifact import export_recommender

    matrix = sps.csr_matrix(
        np.array(
            [[1, 0, 1, 0], [0, 2, 1, 0], [1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 0]],
            dtype=np.float64,
        )
    )
    recommender = IALSRecommender(matrix, n_components=2, train_epochs=2).learn()
    return export_recommender(
        recommender,
        user_ids=["ann", "bob", "chloé", "dai", "ewa"],
        item_ids=["apple", "pear", "fig", "kiwi"],
        manifest={"project_id": 3},
    )


@pytest.fixture(scope="module")
def signed(small_model: ModelArtifact, keys: list[SigningKey]) -> bytes:
    return write_artifact(small_model, keys[0])


def with_version(data: bytes, version: int) -> bytes:
    prefix = struct.pack("<4sHI", b"RCTM", version, struct.unpack_from("<I", data, 6)[0])
    return prefix + struct.pack("<I", zlib.crc32(prefix)) + data[14:]


def test_round_trip_keeps_manifest_ids_and_arrays(
    small_model: ModelArtifact, signed: bytes, keys: list[SigningKey]
) -> None:
    loaded = read_artifact(signed, keys)

    assert loaded.manifest == {**small_model.manifest, "format_version": FORMAT_VERSION}
    assert loaded.user_ids.tolist() == ["ann", "bob", "chloé", "dai", "ewa"]
    assert loaded.item_ids.tolist() == ["apple", "pear", "fig", "kiwi"]
    assert loaded.arrays.keys() == small_model.arrays.keys()
    for name, array in small_model.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], array)
        assert loaded.arrays[name].dtype == array.dtype
    assert loaded.recommend_users(["bob"], 2) == small_model.recommend_users(["bob"], 2)


def test_loading_copies_no_array(signed: bytes, keys: list[SigningKey]) -> None:
    loaded = read_artifact(signed, keys)

    for array in loaded.arrays.values():
        assert not array.flags.owndata
        assert not array.flags.writeable
        assert array.ctypes.data % 16 == 0 or array.nbytes == 0


def test_every_changed_byte_is_detected_as_tampering(signed: bytes, keys: list[SigningKey]) -> None:
    for position in range(len(signed)):
        damaged = bytearray(signed)
        damaged[position] ^= 0x20
        with pytest.raises(ArtifactTampered):
            read_artifact(bytes(damaged), keys)


def test_every_truncation_is_reported_as_truncated(signed: bytes, keys: list[SigningKey]) -> None:
    for length in range(len(signed)):
        with pytest.raises(ArtifactTruncated, match="truncated"):
            read_artifact(signed[:length], keys)


def test_trailing_bytes_are_refused(signed: bytes, keys: list[SigningKey]) -> None:
    with pytest.raises(ArtifactTampered, match="unexpected bytes"):
        read_artifact(signed + b"\0", keys)


def test_a_pickle_is_not_an_artifact(keys: list[SigningKey]) -> None:
    import pickle

    with pytest.raises(ArtifactTampered, match="not a Recotem model artifact"):
        read_artifact(pickle.dumps({"model": 1}), keys)


def test_a_file_signed_with_another_secret_names_the_unknown_key(
    signed: bytes,
) -> None:
    other = signing_keys("a-different-deployment-secret-0123456789abcdef")

    with pytest.raises(ArtifactUnknownKey, match="MODEL_SIGNING_KEYS") as error:
        read_artifact(signed, other)

    assert other[0].key_id not in str(error.value)


def test_a_forged_key_id_fails_the_signature(signed: bytes, keys: list[SigningKey]) -> None:
    impostor = SigningKey(key_id=keys[0].key_id, secret=b"guessed secret")

    with pytest.raises(ArtifactTampered, match="signature"):
        read_artifact(signed, [impostor])


def test_an_unknown_format_version_is_refused_before_anything_else(
    signed: bytes, keys: list[SigningKey]
) -> None:
    with pytest.raises(ArtifactUnknownVersion, match="version 2"):
        read_artifact(with_version(signed, FORMAT_VERSION + 1), keys)


def test_a_signed_payload_with_an_object_array_is_refused(
    keys: list[SigningKey],
) -> None:
    # Even a correctly signed file may not smuggle in a pickled object array.
    index = json.dumps(
        {
            "manifest": {},
            "arrays": [{"name": "x", "dtype": "|O", "shape": [1], "offset": 0}],
        }
    ).encode()
    payload = struct.pack("<Q", len(index)) + index
    payload += bytes(-len(payload) % 64) + bytes(64)
    data = container._seal(payload, keys[0], FORMAT_VERSION)

    with pytest.raises(ArtifactError, match="forbidden dtype"):
        read_artifact(data, keys)


def test_an_object_array_cannot_be_written(
    small_model: ModelArtifact, keys: list[SigningKey]
) -> None:
    arrays = {**small_model.arrays, "extra": np.array([{"a": 1}], dtype=object)}

    with pytest.raises(ValueError, match="cannot be stored"):
        write_artifact(ModelArtifact(small_model.manifest, arrays), keys[0])


def test_a_manifest_that_is_not_json_cannot_be_written(
    small_model: ModelArtifact, keys: list[SigningKey]
) -> None:
    manifest = {**small_model.manifest, "metrics": {"ndcg": float("nan")}}

    with pytest.raises(ValueError, match="JSON"):
        write_artifact(ModelArtifact(manifest, small_model.arrays), keys[0])


def test_the_signature_covers_the_whole_file(signed: bytes, keys: list[SigningKey]) -> None:
    body, tag = signed[:-32], signed[-32:]

    assert hmac.compare_digest(hmac.new(keys[0].secret, body, hashlib.sha256).digest(), tag)
    assert signed[:4] == b"RCTM"


def test_payload_starts_on_an_aligned_offset(signed: bytes) -> None:
    (header_length,) = struct.unpack_from("<I", signed, 6)

    assert (18 + header_length) % 64 == 0


class TestSigningKeys:
    def test_default_key_is_derived_from_secret_key_with_a_stable_id(self) -> None:
        (key,) = signing_keys(SECRET_KEY)

        derived = hmac.new(SECRET_KEY.encode(), b"recotem-model-signing", hashlib.sha256).digest()
        assert key.secret == derived
        assert key.key_id == hashlib.sha256(derived).hexdigest()[:16]
        assert signing_keys(SECRET_KEY) == [key]
        assert SECRET_KEY not in repr(key)

    def test_model_signing_keys_sign_first_and_secret_key_stays_verify_only(
        self,
    ) -> None:
        keys = signing_keys(SECRET_KEY, ["new-signing-secret", "old-signing-secret"])

        assert [k.key_id for k in keys] == [
            signing_keys("new-signing-secret")[0].key_id,
            signing_keys("old-signing-secret")[0].key_id,
            signing_keys(SECRET_KEY)[0].key_id,
        ]

    def test_blank_and_duplicate_entries_are_ignored(self) -> None:
        keys = signing_keys(SECRET_KEY, [" ", "k1-secret", "k1-secret", ""])

        assert len(keys) == 2

    def test_a_comma_separated_string_is_split_not_spelled_out(self) -> None:
        assert signing_keys(SECRET_KEY, "k1-secret, k2-secret") == signing_keys(
            SECRET_KEY, ["k1-secret", "k2-secret"]
        )

    def test_no_secret_at_all_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="SECRET_KEY or MODEL_SIGNING_KEYS"):
            signing_keys("", ["", " "])


class TestRotation:
    def test_old_and_new_keys_verify_and_the_new_one_signs(
        self, small_model: ModelArtifact
    ) -> None:
        before = signing_keys(SECRET_KEY, ["old-signing-secret"])
        after = signing_keys(SECRET_KEY, ["new-signing-secret", "old-signing-secret"])
        old_file = write_artifact(small_model, before[0])

        new_file = write_artifact(small_model, after[0])

        read_artifact(old_file, after)
        read_artifact(new_file, after)
        with pytest.raises(ArtifactUnknownKey):
            read_artifact(new_file, before)

    def test_resign_moves_a_file_to_the_signing_key_once(self, small_model: ModelArtifact) -> None:
        old_file = write_artifact(small_model, signing_keys(SECRET_KEY)[0])
        rotated = signing_keys(SECRET_KEY, ["new-signing-secret"])

        resigned = resign_artifact(old_file, rotated)

        assert resigned is not None
        assert resign_artifact(resigned, rotated) is None
        only_new = rotated[:1]
        assert (
            read_artifact(resigned, only_new).manifest == read_artifact(old_file, rotated).manifest
        )
        assert resigned[-32 - 100 : -32] == old_file[-32 - 100 : -32]

    def test_resign_refuses_a_file_it_cannot_verify(self, signed: bytes) -> None:
        with pytest.raises(ArtifactUnknownKey):
            resign_artifact(signed, signing_keys("unrelated-secret-for-this-test"))

        damaged = bytearray(signed)
        damaged[-1] ^= 1
        with pytest.raises(ArtifactTampered):
            resign_artifact(bytes(damaged), signing_keys(SECRET_KEY))


def test_reading_and_scoring_need_neither_irspack_nor_scikit_learn(
    signed: bytes, tmp_path: Path
) -> None:
    artifact = tmp_path / "model.rctm"
    artifact.write_bytes(signed)
    script = f"""
import sys
sys.modules["irspack"] = sys.modules["sklearn"] = None
from pathlib import Path
from recotem_common.artifact import read_artifact, signing_keys
model = read_artifact(Path({str(artifact)!r}).read_bytes(), signing_keys({SECRET_KEY!r}))
print(sorted(item for item, _ in model.recommend_users(["ann"], 5)[0]))
print(len(model.recommend_profile(["fig"], 2)))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    # ann has seen apple and fig.
    assert result.stdout.split("\n")[:2] == ["['kiwi', 'pear']", "2"]


def test_a_large_model_round_trips_through_zero_copy_views(
    fit_model: FitModel, keys: list[SigningKey]
) -> None:
    fitted = fit_model("DenseSLIMRecommender")

    again = read_artifact(write_artifact(fitted.artifact, keys[0]), keys)

    assert again.recommend_users(["1", "2"], 5) == fitted.artifact.recommend_users(["1", "2"], 5)
    assert again.nbytes >= again.arrays["similarity"].nbytes
    assert container.unpack(fitted.data, keys)[0]["algorithm"] == ("DenseSLIMRecommender")
