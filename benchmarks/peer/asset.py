"""Find and size the AwsCustomResource provider's Lambda asset in a cloud assembly.

Why zip it ourselves: CDK stages the asset as a directory and the CLI zips it at
publish time, so the bytes a deploy uploads (and Lambda downloads on a cold
start) are not on disk after synth. A deterministic in-memory DEFLATE zip gives
a stable, comparable figure for both halves of the benchmark.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Final

# Fixed by CDK: the singleton provider's construct id (and logical-id prefix).
PROVIDER_ID: Final = "AWS679f53fac002430cb0da5b7982bd2287"
_FIXED_DATE: Final = (1980, 1, 1, 0, 0, 0)


def _asset_manifests(outdir: Path) -> list[Path]:
    """Every ``*.assets.json`` the assembly's manifest lists (falls back to a glob)."""
    manifest = outdir / "manifest.json"
    found: list[Path] = []
    if manifest.exists():
        data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        for art in data.get("artifacts", {}).values():
            if art.get("type") == "cdk:asset-manifest":
                found.append(outdir / art["properties"]["file"])
    return found or sorted(outdir.glob("*.assets.json"))


def find_provider_asset(outdir: str | Path, display_prefix: str = PROVIDER_ID) -> Path:
    """Directory of the AwsCustomResource provider's (or ``display_prefix``'s) code asset in ``outdir``.

    Matched by the asset's ``displayName`` (``AWS679f.../Code``) in the asset
    manifest, which names the construct path regardless of how the App ran.
    """
    out = Path(outdir)
    for manifest in _asset_manifests(out):
        data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        for entry in data.get("files", {}).values():
            name = str(entry.get("displayName", ""))
            source = entry.get("source", {})
            if name.startswith(display_prefix) and source.get("packaging") == "zip":
                return out / str(source["path"])
    raise FileNotFoundError(f"no {display_prefix} code asset listed under {out}")


def zip_bytes(directory: str | Path) -> int:
    """Size of a deterministic DEFLATE zip of ``directory`` (sorted names, fixed dates)."""
    root = Path(directory)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), _FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getbuffer().nbytes


def measure_asset(outdir: str | Path, display_prefix: str = PROVIDER_ID) -> dict[str, Any]:
    """Provider asset path, raw file bytes and zipped bytes."""
    asset = find_provider_asset(outdir, display_prefix)
    raw = sum(p.stat().st_size for p in asset.rglob("*") if p.is_file())
    return {
        "asset_dir": str(asset),
        "raw_bytes": raw,
        "zipped_bytes": zip_bytes(asset),
    }
