"""Importing a shop's data from the files other platforms export, one concern a module:
``sniff`` (encoding, delimiter, records with their line numbers, streamed) →
``formats`` (which header is which platform's, and the column mapping) →
``rows`` (one row checked, each problem naming its field) → ``common`` (the
report, the rejects file, the keys seen, batched writes) → ``customers``
(the dry run and the apply, in batches of set-based statements) → ``reviews``."""
