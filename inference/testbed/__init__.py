"""A world to run the inference service in, outside production: the backend's schema
(made by the backend's own migrations), rows seeded in it, and models trained on
MovieLens 100K. The test suite and ``benchmarks/inference`` both build on it, which is
why it is a package of its own rather than part of ``tests``."""
