#ifndef C1D_DECODE_H
#define C1D_DECODE_H

#include <stdint.h>

// Tensor decoding at load: gathering shuffled byte planes and converting f16/bf16/f32 to float32,
// one cache-sized chunk at a time so that the checksum and the conversion read the bytes while hot.

/// Gathers elements [first, first + count) of a byte-shuffled buffer (byte j of element i at
/// planes[j * plane_length + i]) into `out` in element order (size bytes each).
void c1d_unshuffle_chunk(const uint8_t *planes, long plane_length, int size, long first, long count, uint8_t *out);

/// Converts `count` little-endian elements of `dtype` (0: f32, 1: f16, 2: bf16) at `raw` to float32.
void c1d_decode_chunk(int dtype, const uint8_t *raw, long count, float *out);

#endif
