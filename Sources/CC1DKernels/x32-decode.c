// Tensor decoding at load: unshuffle and dtype conversion, with F16C for half precision where the CPU
// has it (x86-64), and a portable path elsewhere.
#include "c1d_decode.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define C1D_DECODE_X86 1
#endif

void c1d_unshuffle_chunk(const uint8_t *planes, long plane_length, int size, long first, long count, uint8_t *out) {
  for (int j = 0; j < size; j++) {
    const uint8_t *plane = planes + (long)j * plane_length + first;
    for (long i = 0; i < count; i++) out[i * size + j] = plane[i];
  }
}

static float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float32 exponent.
    exponent = 113;
    while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#ifdef C1D_DECODE_X86
__attribute__((target("avx,f16c"))) static long decode_f16_f16c(const uint8_t *raw, long count, float *out) {
  long i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i h = _mm_loadu_si128((const __m128i *)(raw + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  return i;
}

static int has_f16c(void) {
  static int cached = -1;
  if (cached < 0) cached = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return cached;
}
#endif

void c1d_decode_chunk(int dtype, const uint8_t *raw, long count, float *out) {
  long i = 0;
  switch (dtype) {
  case 0:
    // Little-endian hosts only (x86-64, arm64): the bytes are the floats.
    memcpy(out, raw, (size_t)count * 4);
    return;
  case 1:
#ifdef C1D_DECODE_X86
    if (has_f16c()) i = decode_f16_f16c(raw, count, out);
#endif
    for (; i < count; i++) out[i] = half_to_float((uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8));
    return;
  case 2:
    for (; i < count; i++) {
      const uint32_t bits = (uint32_t)raw[2 * i] << 16 | (uint32_t)raw[2 * i + 1] << 24;
      memcpy(out + i, &bits, 4);
    }
    return;
  default:
    return;
  }
}
