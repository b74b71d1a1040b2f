"""File processing for digital goods, free of the database: PDF stamping and fingerprints
(pikepdf), previews (pypdfium2, Pillow) and media clips (Debian's ffmpeg)."""
