"""zgen benchmarks: synthetic Postman collections, build/rebuild timings, peer
pipeline comparison and generated-client overhead.  Run ``python -m benchmarks``
(see benchmarks/README.md)."""
