"""Timing profiles: how long to wait, adapted to each target's measured connect RTT.

A wait is ``clamp(rtt * rtt_factor + floor, floor, ceiling)``: on a LAN the floor
decides, on a slow link the RTT does, and the ceiling keeps one port from holding
a scan. ``thorough`` waits longer, and its slow lane holds one NULL connection open
for nmap's own NULL wait (6 s) for ports the walk leaves unknown or soft-matched.
"""

from __future__ import annotations

from typing import NamedTuple, Optional


class Timing(NamedTuple):
    connect_timeout: float = 2.0  # seconds for a TCP connect (and TLS handshake)
    null_floor: float = 0.15  # NULL probe: wait at least this long for a banner
    null_ceiling: float = 1.0
    probe_floor: float = 0.2  # other probes: wait at least this long for a reply
    probe_ceiling: float = 2.0
    rtt_factor: float = 8.0
    grace: float = 0.05  # after a chunk arrives, wait at least this long for the next
    coalesce: float = 0.01  # data arriving within this of a chunk belongs to its burst
    max_reply: int = 16384  # bytes kept per probe reply (nmap stops reading at 4096+)
    first_wave: int = 4  # probes sent at once after NULL; the rest after the stagger
    stagger: float = 0.05  # after the first wave is sent (plus the RTT's share), the rest go
    second_look: float = 4.0  # seconds a port may spend re-sending doubtful probes
    # a probe re-sent because it was silent where a later one matched waits this many
    # times the decisive reply's latency (at least twice probe_wait, at most the
    # ceiling); None: always the ceiling
    patience: Optional[float] = 4.0
    slow_lane: bool = False  # hold one NULL connection for nmap's own wait, alongside

    def null_wait(self, rtt: float) -> float:
        return min(self.null_ceiling, max(self.null_floor, rtt * self.rtt_factor + self.null_floor))

    def probe_wait(self, rtt: float, probe_totalwaitms: int | None) -> float:
        wait = min(
            self.probe_ceiling, max(self.probe_floor, rtt * self.rtt_factor + self.probe_floor)
        )
        if probe_totalwaitms is not None:
            wait = min(wait, probe_totalwaitms / 1000)
        return wait


PROFILES = {
    "fast": Timing(),
    "thorough": Timing(
        connect_timeout=5.0,
        null_floor=0.5,
        null_ceiling=3.0,
        probe_floor=0.5,
        probe_ceiling=5.0,
        second_look=15.0,
        patience=None,
        slow_lane=True,
    ),
}
