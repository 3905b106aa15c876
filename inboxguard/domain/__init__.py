"""The pure core: message model, threads, classification, clocks. No I/O, no wall clock."""
