"""The ONE reader of output folders: the manifest schema, the part files, the model the check elements judge
(see the README map)."""
