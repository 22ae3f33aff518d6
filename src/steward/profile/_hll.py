"""A HyperLogLog distinct-count sketch whose update is one NumPy pass.

datasketches' ``hll_sketch`` takes one value per Python call, which costs seconds on a
million rows; this takes a whole array of stable 64-bit hashes. Merge is a register-wise
maximum, so it is exactly associative and commutative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRECISION = 12


@dataclass
class HyperLogLog:
    registers: np.ndarray

    @classmethod
    def empty(cls, precision: int = PRECISION) -> HyperLogLog:
        return cls(np.zeros(1 << precision, dtype=np.uint8))

    @property
    def precision(self) -> int:
        return len(self.registers).bit_length() - 1

    def update(self, hashes: np.ndarray) -> HyperLogLog:
        if len(hashes) == 0:
            return self
        p = self.precision
        index = (hashes >> np.uint64(64 - p)).astype(np.int64)
        rest = hashes & np.uint64((1 << (64 - p)) - 1)
        _, exponent = np.frexp(rest.astype(np.float64))
        rank = np.where(rest == 0, 64 - p + 1, (64 - p) - exponent + 1).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)
        return self

    def merge(self, other: HyperLogLog) -> HyperLogLog:
        return HyperLogLog(np.maximum(self.registers, other.registers))

    def estimate(self) -> float:
        m = len(self.registers)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.ldexp(1.0, -self.registers.astype(np.int64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return m * float(np.log(m / zeros))
        return raw
