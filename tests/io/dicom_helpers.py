"""Rewrite DICOM files in other transfer syntaxes: the compressed ones encoded by GDCM (another tool than the
pydicom that decodes them in ctdenoise), the uncompressed variants re-encoded by pydicom."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

# Lossless transfer syntaxes a CT can carry (PS3.5 A.4, PS3.6 A).
GDCM_ENCODED_SYNTAXES = {
    "1.2.840.10008.1.2.4.70": "JPEGLosslessProcess14_1",
    "1.2.840.10008.1.2.4.80": "JPEGLSLossless",
    "1.2.840.10008.1.2.4.90": "JPEG2000Lossless",
    "1.2.840.10008.1.2.5": "RLELossless",
}
PYDICOM_ENCODED_SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2")


def transcode(path: Path, transfer_syntax_uid: str) -> None:
    """Rewrite one DICOM file in place in another transfer syntax (lossless)."""
    if transfer_syntax_uid in GDCM_ENCODED_SYNTAXES:
        import gdcm

        reader = gdcm.ImageReader()
        reader.SetFileName(str(path))
        assert reader.Read(), path
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(
            gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, GDCM_ENCODED_SYNTAXES[transfer_syntax_uid]))
        )
        change.SetInput(reader.GetImage())
        assert change.Change(), transfer_syntax_uid
        writer = gdcm.ImageWriter()
        writer.SetFileName(str(path))
        writer.SetFile(reader.GetFile())
        writer.SetImage(change.GetOutput())
        assert writer.Write(), path
        return
    dataset = pydicom.dcmread(path)
    stored = dataset.pixel_array
    if transfer_syntax_uid == "1.2.840.10008.1.2.2":  # big endian: the pixel bytes are swapped too
        dataset.PixelData = stored.astype(stored.dtype.newbyteorder(">")).tobytes()
    dataset.file_meta.TransferSyntaxUID = transfer_syntax_uid
    pydicom.dcmwrite(path, dataset, enforce_file_format=True)


def write_with_file_meta(dataset: Dataset, path: Path) -> Path:
    """Write ``dataset`` as a DICOM file (PS3.10) in Explicit VR Little Endian, file meta from its SOP UIDs."""
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    pydicom.dcmwrite(path, dataset, enforce_file_format=True)
    return path
