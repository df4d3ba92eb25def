"""The incident domain: pure rules and records, standard library only, no I/O, time passed in."""
