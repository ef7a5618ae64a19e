"""The rule pack's sample replies: recorded from real servers or built from docs.

``python -m tests.samples`` records every sample (starting the lab's servers on
loopback and running stock nmap beside them) and writes them as ``#@example`` lines
above the rules of ``rules/*.probes`` that claim them; ``fastprobe rules test`` (in
``make test``) then checks every rule against its samples.
"""
