-- Bulk-load one batch the validator returned (registered as Arrow): usable rows, rejected lines.
INSERT INTO raw.events SELECT * FROM validated_rows;

INSERT INTO raw.rejected_events SELECT * FROM validated_rejected;
