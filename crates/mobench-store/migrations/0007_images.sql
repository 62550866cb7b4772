-- Multimodal runs: the image each sample showed the model and what it cost (decoding the file,
-- encoding it with the projector, the context positions it took), the projector a run loaded
-- beside its model, and how long loading the projector took. NULL for text samples and runs.
ALTER TABLE samples ADD COLUMN image_path TEXT;
ALTER TABLE samples ADD COLUMN image_decode_ms REAL;
ALTER TABLE samples ADD COLUMN image_encode_ms REAL;
ALTER TABLE samples ADD COLUMN image_tokens INTEGER;
ALTER TABLE samples ADD COLUMN prompt_text_tokens INTEGER;
ALTER TABLE runs ADD COLUMN projector_json TEXT;
ALTER TABLE run_loads ADD COLUMN projector_load_ms REAL;
-- The app pairs a model of its library with its vision projector (NULL: none).
ALTER TABLE library_models ADD COLUMN mmproj TEXT;
